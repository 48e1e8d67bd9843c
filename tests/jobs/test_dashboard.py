"""The failed-jobs page: an organization's admins see their own failed work and can send it round again."""

from datetime import UTC, datetime

import pytest

from slotwise.jobs.services import enqueue, run_due
from tests import factories as f

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def orgs(db):
    acme, other = f.org(slug="acme"), f.org(slug="other")
    admin = f.host(acme, "admin", role="admin")
    member = f.host(acme, "member")
    outsider = f.host(other, "boss", role="owner")
    mine = enqueue("nobody.handles.this", {}, due_at=T0, max_attempts=1, organization_id=acme.pk)
    theirs = enqueue("nobody.handles.this", {}, due_at=T0, max_attempts=1, organization_id=other.pk)
    run_due(T0)
    return admin, member, outsider, mine, theirs


def test_an_admin_sees_their_organizations_failed_jobs_only(client, orgs):
    admin, member, outsider, mine, theirs = orgs
    client.force_login(admin.user)
    resp = client.get("/dashboard/jobs/")
    assert resp.status_code == 200
    jobs = list(resp.context["jobs"])
    assert [j.pk for j in jobs] == [mine.pk]
    assert resp.context["counts"]["failed"] == 1
    html = resp.content.decode()
    assert "no handler registered for job kind &#x27;nobody.handles.this&#x27;" in html
    assert f'action="/dashboard/jobs/{mine.pk}/retry/"' in html


def test_retry_puts_the_job_back_in_the_queue(client, orgs):
    admin, member, outsider, mine, theirs = orgs
    client.force_login(admin.user)
    resp = client.post(f"/dashboard/jobs/{mine.pk}/retry/")
    assert (resp.status_code, resp["Location"]) == (302, "/dashboard/jobs/")
    mine.refresh_from_db()
    assert (mine.status, mine.attempts, mine.last_error) == ("pending", 0, "")


def test_an_admin_cannot_retry_another_organizations_job(client, orgs):
    admin, member, outsider, mine, theirs = orgs
    client.force_login(admin.user)
    client.post(f"/dashboard/jobs/{theirs.pk}/retry/")
    theirs.refresh_from_db()
    assert theirs.status == "failed"
    resp = client.get("/dashboard/jobs/")
    assert [str(m) for m in resp.context["messages"]] == [f"job {theirs.pk} does not exist in acme"]


def test_members_are_refused_and_visitors_sent_to_log_in(client, orgs):
    admin, member, outsider, mine, theirs = orgs
    resp = client.get("/dashboard/jobs/")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/?next=/dashboard/jobs/")
    client.force_login(member.user)
    assert client.get("/dashboard/jobs/").status_code == 403
    assert client.post(f"/dashboard/jobs/{mine.pk}/retry/").status_code == 403
    mine.refresh_from_db()
    assert mine.status == "failed"


def test_retry_only_by_post(client, orgs):
    admin, *_, mine, theirs = orgs
    client.force_login(admin.user)
    assert client.get(f"/dashboard/jobs/{mine.pk}/retry/").status_code == 405


def test_email_preview_page(client, orgs):
    admin, member, *_ = orgs
    et = f.event_type(member, name="Support")
    client.force_login(member.user)
    resp = client.get(f"/dashboard/event-types/{et.pk}/emails/?kind=host_confirmed")
    assert resp.status_code == 200
    assert resp.context["rendered"].subject.startswith("New call scheduled: Ada Lovelace — Support on ")
    resp = client.post(f"/dashboard/event-types/{et.pk}/emails/", {"kind": "invitee_confirmed", "subject": "{% if %}"})
    assert resp.status_code == 400
    assert "The subject has a template error" in resp.content.decode()
    outsider = orgs[2]
    client.force_login(outsider.user)
    assert client.get(f"/dashboard/event-types/{et.pk}/emails/").status_code == 404


def test_saving_wording_from_the_preview_page(client, orgs):
    from slotwise.notifications.models import EmailTemplate

    admin, member, *_ = orgs
    et = f.event_type(member, name="Support")
    client.force_login(member.user)
    url = f"/dashboard/event-types/{et.pk}/emails/"
    resp = client.post(
        url, {"kind": "invitee_confirmed", "subject": "See you, {{ invitee_name }}", "save": "event_type"}
    )
    assert resp.status_code == 200
    assert resp.context["rendered"].subject == "See you, Ada Lovelace"
    assert list(EmailTemplate.objects.values_list("event_type_id", "kind", "subject")) == [
        (et.pk, "invitee_confirmed", "See you, {{ invitee_name }}")
    ]
    resp = client.post(url, {"kind": "invitee_confirmed", "subject": "Org-wide", "save": "organization"})
    assert resp.status_code == 403
    assert "only admins can change organization-wide emails" in resp.content.decode()
    client.force_login(admin.user)
    client.post(url, {"kind": "invitee_confirmed", "subject": "Org-wide", "save": "organization"})
    client.post(url, {"kind": "invitee_confirmed", "subject": "", "save": "event_type"})  # empty: back to defaults
    assert list(EmailTemplate.objects.values_list("event_type_id", "subject")) == [(None, "Org-wide")]
