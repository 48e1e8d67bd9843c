# The pages' routes without the API's (which other engineers change concurrently), for the web tests.
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("slotwise.core.urls")),
    path("", include("slotwise.web.urls")),
]
