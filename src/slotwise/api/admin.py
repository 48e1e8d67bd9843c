from django.contrib import admin

from .models import ApiToken, OAuthApplication


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "membership", "kind", "scope", "created_at", "last_used_at", "revoked_at")
    list_filter = ("kind", "scope")
    search_fields = ("prefix", "membership__user__email", "name")
    readonly_fields = ("prefix", "hash", "created_at", "last_used_at")


@admin.register(OAuthApplication)
class OAuthApplicationAdmin(admin.ModelAdmin):
    """Third-party apps are registered here: client_id, redirect URIs, and (for confidential clients) the
    SHA-256 of the client secret."""

    list_display = ("name", "client_id", "organization", "created_at")
    search_fields = ("name", "client_id")
