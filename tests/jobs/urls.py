from django.urls import include, path

urlpatterns = [
    path("", include("slotwise.jobs.urls")),
    path("", include("slotwise.notifications.urls")),
]
