"""The project's URLs plus this app's, as the lead will include them at the root."""

from django.urls import include, path

urlpatterns = [path("", include("slotwise.calendars.urls")), path("", include("slotwise.config.urls"))]
