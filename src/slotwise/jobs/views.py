from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from slotwise.accounts.decorators import admin_required
from slotwise.core.clock import utc_now
from slotwise.core.errors import SlotwiseError

from . import selectors, services


@admin_required
def failed_jobs(request):
    """The failed jobs of the one account acted in (the switcher picks it)."""
    org_ids = [request.membership.organization_id]
    return render(request, "jobs/failed.html", {
        "nav": "jobs",
        "jobs": selectors.failed_jobs(organization_ids=org_ids),
        "counts": selectors.queue_counts(organization_ids=org_ids),
        "organizations": [request.membership.organization],
    })


@require_POST
@admin_required
def retry_job(request, job_id: int):
    try:
        job = services.retry_for_member(job_id=job_id, membership=request.membership, now=utc_now())
    except SlotwiseError as exc:
        messages.error(request, exc.message)
        return redirect("jobs:failed")
    messages.success(request, f"Job {job.pk} ({job.kind}) will run again now.")
    return redirect("jobs:failed")
