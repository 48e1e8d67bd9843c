from django.contrib import admin

from .models import Meeting, ZoomGrant


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("booking", "provider", "status", "join_url")
    list_filter = ("provider", "status")


@admin.register(ZoomGrant)
class ZoomGrantAdmin(admin.ModelAdmin):
    list_display = ("membership", "expires_at", "scope")
    exclude = ("access_token", "refresh_token")
