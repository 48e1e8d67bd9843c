from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden
from django.shortcuts import render

from slotwise.jobs.selectors import admin_memberships

from .selectors import rules_with_runs


@login_required
def rule_log(request):
    memberships = admin_memberships(request.user)
    if not memberships:
        return HttpResponseForbidden("Only an organization's owners and admins can see its rules.")
    return render(request, "automation/log.html", {
        "rules": rules_with_runs(organization_ids=[m.organization_id for m in memberships]),
    })
