from django.contrib import admin

from .models import Contact, FunnelEvent


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "organization", "owner", "bookings_count", "last_booked_at"]
    list_filter = ["organization"]
    search_fields = ["email", "name"]


@admin.register(FunnelEvent)
class FunnelEventAdmin(admin.ModelAdmin):
    list_display = ["name", "visitor_id", "contact", "created_at"]
    list_filter = ["name"]
