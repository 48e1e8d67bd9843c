"""Template context every dashboard page shares: the account switcher."""

from slotwise.accounts.selectors import enterable_accounts


def account_switcher(request) -> dict:
    """The accounts the signed-in user may enter, grouped under their agency, and the one acted in. Only on
    pages that act in an account (request.membership is set by membership_required)."""
    membership = getattr(request, "membership", None)
    if membership is None or not request.user.is_authenticated:
        return {}
    org = membership.organization
    return {
        "switcher": {
            "current": org,
            "groups": enterable_accounts(request.user),
            "agency_overview": org.is_agency and membership.is_admin and not membership.via_agency,
        }
    }
