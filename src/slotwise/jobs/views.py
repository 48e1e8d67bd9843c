"""/dashboard/jobs/: the background work of the organization being acted in (accounts.current_membership):
queue counts, failed jobs with their errors, and a retry. Owners and admins only."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from slotwise.accounts.decorators import membership_required
from slotwise.core.clock import utc_now
from slotwise.core.errors import SlotwiseError

from . import selectors, services

STATUS_WORDS = {"pending": "Waiting", "running": "Running", "done": "Done", "failed": "Failed", "canceled": "Cancelled"}


def _admin(request):
    if not request.membership.is_admin:
        raise PermissionDenied("Only an organization's owners and admins can see its background jobs.")
    return request.membership


@membership_required
def failed_jobs(request):
    m = _admin(request)
    counts = selectors.queue_counts(organization_ids=[m.organization_id])
    return render(
        request,
        "jobs/failed.html",
        {
            "nav": "jobs",
            "jobs": selectors.failed_jobs(organization_ids=[m.organization_id]),
            "counts": counts,
            "count_words": [(STATUS_WORDS.get(s, s), n) for s, n in counts.items()],
        },
    )


@require_POST
@membership_required
def retry_job(request, job_id: int):
    m = _admin(request)
    try:
        job = services.retry_for_member(job_id=job_id, membership=m, now=utc_now())
    except SlotwiseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Job {job.pk} ({job.kind}) will run again now.")
    return redirect("jobs:failed")
