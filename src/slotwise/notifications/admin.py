from django.contrib import admin

from .models import EmailTemplate, Reminder, SentEmail


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    list_display = ("organization", "event_type", "kind", "subject", "updated_at")
    list_filter = ("kind",)


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("organization", "event_type", "name", "offset_minutes", "when", "recipient", "active")


@admin.register(SentEmail)
class SentEmailAdmin(admin.ModelAdmin):
    list_display = ("sent_at", "kind", "to", "subject", "method", "sequence")
    list_filter = ("kind", "method")
    search_fields = ("to", "subject", "ical_uid")
    readonly_fields = [f.name for f in SentEmail._meta.fields]
