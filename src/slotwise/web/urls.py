from django.urls import path, re_path

from . import connections, dashboard, host_reschedule, members, onboarding, public

SLUG = r"[-a-zA-Z0-9_]+"
# Only a time (it starts with a 4-digit year) is taken as `start`, so /org/team/sales/demo (no slash) still
# redirects to its page instead of being read as host "team", event "sales" at time "demo".
TIME = r"[0-9]{4}-[^/]+"

urlpatterns = [
    path("setup/", onboarding.first_run, name="first_run"),
    path("login/", onboarding.login_view, name="login"),
    path("logout/", dashboard.logout_view, name="logout"),
    path("dashboard/", dashboard.home, name="dashboard"),
    path("dashboard/event-types/new/", dashboard.event_type_edit, name="event_type_new"),
    path("dashboard/event-types/<int:pk>/", dashboard.event_type_edit, name="event_type_edit"),
    path("dashboard/event-types/<int:pk>/single-use/", dashboard.single_use_create, name="single_use_create"),
    path("dashboard/event-types/<int:pk>/star/", dashboard.star, name="star"),
    path("dashboard/event-types/<int:pk>/pool/", dashboard.pool_edit, name="pool_edit"),
    path("dashboard/links/", dashboard.link_list, name="links"),
    path("dashboard/links/settings/", dashboard.link_settings, name="link_settings"),
    path("dashboard/links/<uuid:uuid>/revoke/", dashboard.link_revoke, name="link_revoke"),
    path("dashboard/availability/", dashboard.availability, name="availability"),
    path("dashboard/bookings/", dashboard.booking_list, name="bookings"),
    path("dashboard/bookings/<uuid:uid>/", dashboard.booking_detail, name="booking_detail"),
    path("dashboard/bookings/<uuid:uid>/cancel/", dashboard.booking_cancel, name="booking_cancel"),
    path(
        "dashboard/bookings/<uuid:uid>/approve/",
        dashboard.booking_decide,
        {"action": "approve"},
        name="booking_approve",
    ),
    path(
        "dashboard/bookings/<uuid:uid>/decline/",
        dashboard.booking_decide,
        {"action": "decline"},
        name="booking_decline",
    ),
    path("dashboard/bookings/<uuid:uid>/reschedule/", host_reschedule.booking_reschedule, name="booking_reschedule"),
    path("dashboard/invitees/<uuid:uid>/no-show/", dashboard.no_show, name="no_show"),
    path("dashboard/team/", dashboard.team, name="team"),
    path("dashboard/members/", members.members, name="members"),
    path("dashboard/members/<int:pk>/remove/", members.member_remove, name="member_remove"),
    path(
        "dashboard/invitations/<uuid:uuid>/resend/",
        members.invitation_action,
        {"action": "resend"},
        name="invitation_resend",
    ),
    path(
        "dashboard/invitations/<uuid:uuid>/revoke/",
        members.invitation_action,
        {"action": "revoke"},
        name="invitation_revoke",
    ),
    path("dashboard/event-types/<int:pk>/join/", members.pool_request, name="pool_request"),
    path(
        "dashboard/pool-requests/<uuid:uuid>/approve/",
        members.pool_request_decide,
        {"action": "approve"},
        name="pool_request_approve",
    ),
    path(
        "dashboard/pool-requests/<uuid:uuid>/decline/",
        members.pool_request_decide,
        {"action": "decline"},
        name="pool_request_decline",
    ),
    path("dashboard/contacts/", dashboard.contact_list, name="contacts"),
    path("dashboard/contacts/<int:pk>/", dashboard.contact_detail, name="contact"),
    path("dashboard/switch/", dashboard.switch_account, name="switch_account"),
    path("dashboard/agency/", dashboard.agency, name="agency"),
    path("dashboard/connections/", connections.connection_list, name="connections"),
    path("dashboard/connections/add/", connections.connection_add, name="connection_add"),
    path("dashboard/connections/add/calendly/token/", connections.connection_add_token, name="connection_add_token"),
    path(
        "dashboard/connections/add/calendly/oauth/", connections.connection_oauth_start, name="connection_oauth_start"
    ),
    path(
        "dashboard/connections/calendly/callback/",
        connections.connection_oauth_callback,
        name="connection_oauth_callback",
    ),
    path("dashboard/connections/<uuid:uuid>/", connections.connection_detail, name="connection"),
    path("dashboard/connections/<uuid:uuid>/progress/", connections.connection_progress, name="connection_progress"),
    path("dashboard/connections/<uuid:uuid>/sync/", connections.connection_sync, name="connection_sync"),
    path("dashboard/connections/<uuid:uuid>/calendars/", connections.connection_calendars, name="connection_calendars"),
    path(
        "dashboard/connections/<uuid:uuid>/calendars/refresh/",
        connections.connection_calendars_refresh,
        name="connection_calendars_refresh",
    ),
    path("dashboard/connections/<uuid:uuid>/deselect/", connections.connection_deselect, name="connection_deselect"),
    path("dashboard/connections/<uuid:uuid>/remove/", connections.connection_remove, name="connection_remove"),
    path("d/<str:token>/", public.single_use_page, name="single_use"),
    path("invite/<str:token>/", members.invitation_page, name="invitation"),
    path("cancel/<str:token>/", public.cancel_page, name="cancel"),
    path("approval/<str:token>/", public.approval_page, name="approval"),
    path("guest/<str:token>/decline/", public.guest_decline_page, name="guest_decline"),
    path("reschedule/<str:token>/", public.reschedule_page, name="reschedule"),
    path("booked/<str:uid>/", public.confirmation, name="confirmation"),
    path("booked/<str:uid>/event.ics", public.ics, name="ics"),
    # No trailing slash, so no organization's or host's page (all end in "/") can ever shadow it.
    path("zones/search", public.zone_search, name="zone_search"),
    path("<slug:org>/team/<slug:team>/<slug:event>/", public.team_event_page, name="team_event_page"),
    # The API's scheduling_url for an available time: `<event page><ISO instant>?month=…&date=…`.
    re_path(
        rf"^(?P<org>{SLUG})/team/(?P<team>{SLUG})/(?P<event>{SLUG})/(?P<start>{TIME})$",
        public.team_event_page,
        name="team_event_time",
    ),
    path("<slug:org>/<slug:host>/<slug:event>/", public.event_page, name="event_page"),
    re_path(
        rf"^(?P<org>{SLUG})/(?P<host>{SLUG})/(?P<event>{SLUG})/(?P<start>{TIME})$", public.event_page, name="event_time"
    ),
    path("<slug:org>/<slug:host>/", public.host_page, name="host_page"),
    path("<slug:org>/", public.org_page, name="org_page"),
]
