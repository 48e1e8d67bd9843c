from django.contrib import admin

from .models import Booking, BookingHost, Invitee, SingleUseLink


class InviteeInline(admin.TabularInline):
    model = Invitee
    extra = 0
    fields = ["name", "email", "timezone", "status", "no_show"]
    readonly_fields = ["no_show"]


class BookingHostInline(admin.TabularInline):
    model = BookingHost
    extra = 0


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Operators read bookings here; changes go through the dashboard so that they go through the services
    (race guard, events, emails)."""

    list_display = ["uid", "event_type", "host", "start", "status", "source"]
    list_filter = ["status", "source", "organization"]
    date_hierarchy = "start"
    inlines = [InviteeInline, BookingHostInline]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invitee)
class InviteeAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "booking", "status", "no_show"]
    list_select_related = ["booking", "no_show_mark"]
    search_fields = ["email", "name"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SingleUseLink)
class SingleUseLinkAdmin(admin.ModelAdmin):
    list_display = ["token", "event_type", "uses", "max_event_count", "expires_at"]
