from django.contrib import admin

from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("callback_url", "organization", "scope", "state", "created_at")
    list_filter = ("state", "scope")
    exclude = ("signing_key",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "subscription", "status", "created_at", "delivered_at")
    list_filter = ("status", "event")


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(admin.ModelAdmin):
    list_display = ("delivery", "number", "started_at", "status_code", "error", "duration_ms")
