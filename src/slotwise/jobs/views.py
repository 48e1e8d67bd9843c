from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from slotwise.core.clock import utc_now
from slotwise.core.errors import SlotwiseError

from . import selectors, services


def _admin_or_403(request):
    memberships = selectors.admin_memberships(request.user)
    if not memberships:
        return None, HttpResponseForbidden("Only an organization's owners and admins can see its background jobs.")
    return memberships, None


@login_required
def failed_jobs(request):
    memberships, denied = _admin_or_403(request)
    if denied:
        return denied
    org_ids = [m.organization_id for m in memberships]
    return render(request, "jobs/failed.html", {
        "jobs": selectors.failed_jobs(organization_ids=org_ids),
        "counts": selectors.queue_counts(organization_ids=org_ids),
        "organizations": [m.organization for m in memberships],
    })


@login_required
@require_POST
def retry_job(request, job_id: int):
    memberships, denied = _admin_or_403(request)
    if denied:
        return denied
    now = utc_now()
    for m in memberships:
        try:
            job = services.retry_for_member(job_id=job_id, membership=m, now=now)
        except SlotwiseError as exc:
            last = exc
            continue
        messages.success(request, f"Job {job.pk} ({job.kind}) will run again now.")
        return redirect("jobs:failed")
    messages.error(request, last.message)
    return redirect("jobs:failed")
