from django.contrib import admin

from .models import CalendarConnection, CalendarEvent, Feed, RemoteCalendar


class RemoteCalendarInline(admin.TabularInline):
    model = RemoteCalendar
    fields = ("name", "remote_id", "use_for_conflicts", "is_writeback", "read_only", "expanded_at")
    readonly_fields = ("remote_id", "expanded_at")
    extra = 0


@admin.register(CalendarConnection)
class CalendarConnectionAdmin(admin.ModelAdmin):
    list_display = ("pk", "membership", "kind", "name", "last_sync_at", "failures", "last_error")
    list_filter = ("kind", "unreachable")
    # The encrypted secret is never shown, even to operators.
    exclude = ("secret", "channel_token")
    readonly_fields = ("last_sync_at", "last_success_at", "last_error", "failures", "import_report")
    inlines = [RemoteCalendarInline]


@admin.register(CalendarEvent)
class CalendarEventAdmin(admin.ModelAdmin):
    list_display = ("booking", "calendar", "purpose", "uid", "href")
    list_filter = ("purpose",)


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    list_display = ("pk", "membership", "team", "rotated_at")
    exclude = ("token",)
