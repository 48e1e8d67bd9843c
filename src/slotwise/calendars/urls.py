from django.urls import path

from . import views

app_name = "calendars"

urlpatterns = [
    path("dashboard/calendars/", views.index, name="index"),
    path("dashboard/calendars/caldav/", views.add_caldav, name="add_caldav"),
    path("dashboard/calendars/ics/", views.add_ics, name="add_ics"),
    path("dashboard/calendars/google/connect/", views.google_connect, name="google_connect"),
    path("dashboard/calendars/google/callback/", views.google_callback, name="google_callback"),
    path("dashboard/calendars/microsoft/connect/", views.microsoft_connect, name="microsoft_connect"),
    path("dashboard/calendars/microsoft/callback/", views.microsoft_callback, name="microsoft_callback"),
    path("dashboard/calendars/feed/rotate/", views.rotate_feed, name="rotate_feed"),
    path("dashboard/calendars/teams/<int:team>/feed/rotate/", views.rotate_feed, name="rotate_team_feed"),
    path("dashboard/calendars/<int:pk>/", views.choose, name="choose"),
    path("dashboard/calendars/<int:pk>/sync/", views.sync_now, name="sync_now"),
    path("dashboard/calendars/<int:pk>/delete/", views.delete, name="delete"),
    path("calendars/google/push/", views.google_push, name="google_push"),
    path("feeds/<str:token>.ics", views.feed, name="feed"),
]
