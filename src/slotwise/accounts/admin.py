from django.contrib import admin

from .models import Membership, Organization, Team, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "timezone", "is_staff"]
    search_fields = ["email", "name"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "timezone", "is_agency", "parent"]
    list_filter = ["is_agency"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["organization", "user", "slug", "role", "via_agency"]
    list_filter = ["organization", "role", "via_agency"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["organization", "slug", "name", "timezone"]
