from django.urls import path

from . import views

app_name = "automation"

urlpatterns = [
    path("dashboard/rules/", views.rule_list, name="rules"),
    path("dashboard/rules/new/", views.rule_edit, name="rule_new"),
    path("dashboard/rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("dashboard/rules/<int:pk>/toggle/", views.rule_toggle, name="rule_toggle"),
    path("dashboard/rules/<int:pk>/dry-run/", views.rule_dry_run, name="rule_dry_run"),
]
