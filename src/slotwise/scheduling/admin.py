from django.contrib import admin

from .models import AvailabilitySchedule, BusyBlock, DateOverride, EventType, PoolHost


class DateOverrideInline(admin.TabularInline):
    model = DateOverride
    extra = 0


@admin.register(AvailabilitySchedule)
class AvailabilityScheduleAdmin(admin.ModelAdmin):
    list_display = ["owner", "name", "timezone", "is_default"]
    list_filter = ["organization"]
    inlines = [DateOverrideInline]


class PoolHostInline(admin.TabularInline):
    model = PoolHost
    extra = 0


@admin.register(EventType)
class EventTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "organization", "owner", "team", "kind", "duration_minutes", "active"]
    list_filter = ["organization", "kind", "active"]
    search_fields = ["name", "slug"]
    inlines = [PoolHostInline]


@admin.register(BusyBlock)
class BusyBlockAdmin(admin.ModelAdmin):
    list_display = ["membership", "start", "end", "source", "label"]
    list_filter = ["source"]
