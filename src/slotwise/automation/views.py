from django.shortcuts import render

from slotwise.accounts.decorators import admin_required

from .selectors import rules_with_runs


@admin_required
def rule_log(request):
    """The rules of the one account acted in, with their runs."""
    return render(request, "automation/log.html", {
        "nav": "rules", "rules": rules_with_runs(organization_ids=[request.membership.organization_id]),
    })
