from django.urls import include, path

urlpatterns = [path("", include("slotwise.conferencing.urls"))]
