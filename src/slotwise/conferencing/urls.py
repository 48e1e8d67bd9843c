from django.urls import path

from . import views

app_name = "conferencing"

urlpatterns = [
    path("dashboard/conferencing/zoom/connect/", views.zoom_start, name="zoom_connect"),
    path("dashboard/conferencing/zoom/callback/", views.zoom_callback, name="zoom_callback"),
    path("dashboard/conferencing/zoom/disconnect/", views.zoom_disconnect, name="zoom_disconnect"),
]
