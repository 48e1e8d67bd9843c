"""Dashboard pages for connections to a Calendly account (Calendars -> Connections): the list, adding one
(Calendly sign-in, or a personal access token with an advanced API base URL), the calendars to import
from (with the consent box), the delete choice when deselecting or removing, and one connection's state,
plan, webhooks or polling, sync log and first-sync progress. Writes go through imports.services."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from slotwise.core.clock import utc_now
from slotwise.core.errors import PermissionDenied, SlotwiseError
from slotwise.imports import oauth, selectors, services
from slotwise.imports.models import Calendar, Connection

from .dashboard import host_required

SESSION_STATE = "imports_calendly_oauth_state"


def _connection(request, ident) -> Connection:
    return selectors.connection_for(membership=request.membership, ident=ident)


def _page(request, template: str, context: dict, status: int = 200):
    # Calendars > Connections, as the seed's "Calendars > Calendar Settings > Connections".
    return render(request, template, {"nav": "calendars", **context}, status=status)


def _back(
    request, conn: Connection | None = None, *, error: SlotwiseError | None = None, ok: str = "", to: str = "connection"
):
    """Back to a page (`to`: connection, connection_calendars) with what happened in a banner."""
    if error is not None:
        messages.error(request, error.message)
    elif ok:
        messages.success(request, ok)
    if conn is None:
        return redirect("connections")
    return redirect(to, uuid=conn.uuid)


# ---- the list and adding ----------------------------------------------------------------------------


@host_required
@require_GET
def connection_list(request):
    rows = [
        {"c": c, "state": selectors.state_words(c), "selected": c.calendars.filter(selected=True).count()}
        for c in selectors.connections(request.membership)
    ]
    return _page(request, "web/dash_connections.html", {"rows": rows, "is_admin": request.membership.is_admin})


def _add_page(request, *, errors: dict | None = None, form: dict | None = None, status: int = 200):
    return _page(
        request,
        "web/dash_connection_add.html",
        {
            "oauth_enabled": oauth.configured(),
            "errors": errors or {},
            "form": form or {},
        },
        status=status,
    )


@host_required
@require_GET
def connection_add(request):
    return _add_page(request)


@host_required
@require_POST
def connection_add_token(request):
    form = {"api_base": request.POST.get("api_base", "").strip()}
    try:
        conn = services.connection_add_token(
            membership=request.membership,
            token=request.POST.get("token", ""),
            api_base=form["api_base"] or None,
            now=utc_now(),
        )
    except SlotwiseError as exc:
        return _add_page(request, errors={exc.field or "form": exc.message}, form=form, status=exc.status)
    messages.success(request, f"Calendly account {conn.account_email} connected. Choose the calendars to import.")
    return redirect("connection_calendars", uuid=conn.uuid)


@host_required
@require_POST
def connection_oauth_start(request):
    form = {"api_base": request.POST.get("api_base", "").strip()}
    try:
        _, url = services.connection_oauth_start(
            membership=request.membership,
            api_base=form["api_base"] or None,
            auth_base=None,
            redirect_uri=request.build_absolute_uri(reverse("connection_oauth_callback")),
            now=utc_now(),
        )
    except SlotwiseError as exc:
        return _add_page(request, errors={exc.field or "form": exc.message}, form=form, status=exc.status)
    request.session[SESSION_STATE] = parse_qs(urlsplit(url).query)["state"][0]
    return redirect(url)


@host_required
@require_GET
def connection_oauth_callback(request):
    expected = request.session.pop(SESSION_STATE, None)
    state = request.GET.get("state", "")
    here = bool(expected) and secrets.compare_digest(expected, state)
    if not here and not selectors.oauth_started_by(user=request.user, state=state):
        return _back(
            request,
            error=PermissionDenied(
                "This Calendly sign-in was not started in this browser session or by you; start again"
            ),
        )
    if request.GET.get("error"):
        return _back(
            request,
            error=PermissionDenied(
                f"Calendly did not grant access ({request.GET['error'][:100]}); nothing was connected"
            ),
        )
    try:
        conn = services.connection_oauth_finish(state=state, code=request.GET.get("code", ""), now=utc_now())
    except SlotwiseError as exc:
        return _back(request, error=exc)
    messages.success(request, f"Calendly account {conn.account_email} connected. Choose the calendars to import.")
    return redirect("connection_calendars", uuid=conn.uuid)


# ---- one connection -----------------------------------------------------------------------------------


@host_required
@require_GET
def connection_detail(request, uuid):
    conn = _connection(request, uuid)
    return _page(
        request,
        "web/dash_connection.html",
        {
            "c": conn,
            "state": selectors.state_words(conn),
            "log": selectors.log(conn),
            "progress": selectors.progress(selectors.latest_run(conn)),
            "calendars": [c for c in selectors.calendars(conn) if c.selected],
        },
    )


@host_required
@require_GET
def connection_progress(request, uuid):
    """The progress card alone, for htmx polling while a sync runs."""
    conn = _connection(request, uuid)
    return _page(
        request,
        "web/_connection_progress.html",
        {
            "c": conn,
            "progress": selectors.progress(selectors.latest_run(conn)),
        },
    )


def _act(request, uuid, service, *, ok: str, to: str = "connection"):
    """Run `service(connection=, now=)` on one connection and go back to a page saying how it went."""
    conn = _connection(request, uuid)
    try:
        service(connection=conn, now=utc_now())
    except SlotwiseError as exc:
        return _back(request, conn, error=exc, to=to)
    return _back(request, conn, ok=ok, to=to)


@host_required
@require_POST
def connection_sync(request, uuid):
    return _act(request, uuid, services.sync_requested, ok="Sync queued: new Calendly events appear in a moment.")


@host_required
def connection_calendars(request, uuid):
    conn = _connection(request, uuid)
    if request.method == "POST":
        return _save_calendars(request, conn)
    return _calendars_page(request, conn)


def _calendars_page(
    request, conn, *, error: SlotwiseError | None = None, chosen: set[str] | None = None, consent: bool = False
):
    cals = selectors.calendars(conn)
    rows = [
        {
            "cal": c,
            "checked": (c.uri in chosen) if chosen is not None else c.selected,
            "kind": selectors.calendar_kind_words(c),
        }
        for c in cals
    ]
    return _page(
        request,
        "web/dash_connection_calendars.html",
        {
            "c": conn,
            "state": selectors.state_words(conn),
            "rows": rows,
            "consent": consent,
            "error": error.message if error else "",
            "error_field": error.field if error else "",
        },
        status=error.status if error else 200,
    )


def _save_calendars(request, conn):
    chosen = set(request.POST.getlist("calendars"))
    consent = request.POST.get("consent") == "yes"
    selected = {c.uri for c in selectors.calendars(conn) if c.selected}
    added, dropped = sorted(chosen - selected), sorted(selected - chosen)
    now = utc_now()
    try:
        if added:
            services.calendars_select(connection=conn, uris=added, consent=consent, now=now)
    except SlotwiseError as exc:
        return _calendars_page(request, conn, error=exc, chosen=chosen, consent=consent)
    if dropped:
        if added:
            messages.success(request, "Saved: the new calendars import the events created from now on.")
        return _confirm_page(request, conn, [c for c in selectors.calendars(conn) if c.uri in dropped])
    messages.success(
        request, "Saved: the chosen calendars import the events created from now on." if added else "Nothing changed."
    )
    return redirect("connection_calendars", uuid=conn.uuid)


@host_required
@require_POST
def connection_calendars_refresh(request, uuid):
    return _act(
        request,
        uuid,
        services.calendars_refresh,
        ok="Calendar list read from Calendly again.",
        to="connection_calendars",
    )


# ---- the delete choice: deselecting, removing -----------------------------------------------------------


def _confirm_page(request, conn, cals: list[Calendar], *, remove: bool = False, error: str = ""):
    shared = [c for c in cals if c.kind == Calendar.Kind.SHARED]
    return _page(
        request,
        "web/dash_connection_confirm.html",
        {
            "c": conn,
            "cals": cals,
            "shared": shared,
            "remove": remove,
            "error": error,
            "action": reverse("connection_remove" if remove else "connection_deselect", kwargs={"uuid": conn.uuid}),
        },
        status=400 if error else 200,
    )


def _delete_choice(request) -> bool | None:
    """None when the choice is not made clearly: deleting needs the second box ticked too."""
    choice = request.POST.get("synced")
    if choice == "keep":
        return False
    if choice == "delete" and request.POST.get("confirm") == "yes":
        return True
    return None


@host_required
@require_POST
def connection_deselect(request, uuid):
    conn = _connection(request, uuid)
    uris = request.POST.getlist("calendars")
    cals = [c for c in selectors.calendars(conn) if c.uri in set(uris)]
    delete = _delete_choice(request)
    if delete is None:
        return _confirm_page(
            request,
            conn,
            cals,
            error="Choose whether to keep or delete what these calendars "
            "synced; to delete, also tick the box that says it cannot be undone.",
        )
    now = utc_now()
    deleted = 0
    try:
        for cal in cals:
            deleted += services.calendar_deselect(connection=conn, uri=cal.uri, delete_synced=delete, now=now)
    except SlotwiseError as exc:
        return _back(request, conn, error=exc, to="connection_calendars")
    names = ", ".join(c.name for c in cals)
    ok = f"Stopped importing from {names}."
    if delete:
        ok += f" {deleted} appointment(s) deleted permanently."
        if any(c.kind == Calendar.Kind.SHARED for c in cals):
            ok += " Appointments of shared calendars are deleted once every connected member chose to."
    return _back(request, conn, ok=ok, to="connection_calendars")


@host_required
def connection_remove(request, uuid):
    conn = _connection(request, uuid)
    cals = [c for c in selectors.calendars(conn) if c.selected or c.imported_from]
    if request.method != "POST":
        return _confirm_page(request, conn, cals, remove=True)
    delete = _delete_choice(request)
    if delete is None:
        return _confirm_page(
            request,
            conn,
            cals,
            remove=True,
            error="Choose whether to keep or delete what this "
            "connection synced; to delete, also tick the box that says it cannot be undone.",
        )
    try:
        deleted = services.connection_remove(connection=conn, delete_synced=delete, now=utc_now())
    except SlotwiseError as exc:
        return _back(request, conn, error=exc)
    ok = f"Calendly account {conn.account_email or conn.account_name} removed."
    if delete:
        ok += f" {deleted} appointment(s) deleted permanently."
    messages.success(request, ok)
    return redirect("connections")
