from django.urls import path

from . import views

app_name = "automation"

urlpatterns = [path("dashboard/rules/", views.rule_log, name="log")]
