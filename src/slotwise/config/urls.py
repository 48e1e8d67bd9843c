from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on pages that name none (a PDF, a JSON answer): the same icon.
    path("favicon.ico", RedirectView.as_view(url="/static/web/favicon.svg", permanent=True)),
    path("", include("slotwise.core.urls")),
    path("", include("slotwise.api.urls")),  # /api/v2/..., /api/apps/..., /oauth/..., webhooks dashboard
    path("", include("slotwise.calendars.urls")),  # /feeds/<token>.ics, /dashboard/calendars/, Google push
    path("", include("slotwise.jobs.urls")),  # /dashboard/jobs/
    path("", include("slotwise.notifications.urls")),  # email templates and previews
    path("", include("slotwise.conferencing.urls")),  # Zoom connect
    path("", include("slotwise.automation.urls")),  # /dashboard/rules/
    path("", include("slotwise.imports.urls")),  # /hooks/calendly/<token>/ (Calendly webhooks in)
    # Last: the web app owns the catch-all booking page paths /<org>/<host>/...
    path("", include("slotwise.web.urls")),
]
