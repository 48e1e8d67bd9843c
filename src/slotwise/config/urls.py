from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("slotwise.core.urls")),
    path("", include("slotwise.api.urls")),
    # Last: the web app owns the catch-all booking page paths /<org>/<host>/...
    path("", include("slotwise.web.urls")),
]
