from django.urls import include, path

urlpatterns = [path("", include("slotwise.automation.urls"))]
