from django.contrib import admin

from .models import Rule, RuleRun


class RuleRunInline(admin.TabularInline):
    model = RuleRun
    extra = 0
    readonly_fields = ("booking", "trigger", "action", "status", "state", "error", "created_at", "done_at", "undone_at")
    can_delete = False


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("organization", "name", "trigger", "action", "active")
    inlines = [RuleRunInline]


@admin.register(RuleRun)
class RuleRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "rule", "booking", "action", "status")
    list_filter = ("status", "action")
