"""First run: /setup/ creates the first owner and organization on an install with no users. The sign-in
page sends visitors here until someone has done it; afterwards /setup/ only points to the sign-in page."""

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render

from slotwise.accounts import onboarding
from slotwise.core.clock import utc_now
from slotwise.core.errors import SlotwiseError
from slotwise.core.timezones import all_zones

FIELDS = ("name", "email", "organization_name", "timezone")


def first_run(request):
    if not onboarding.install_is_new():
        return redirect("login")
    values = {f: request.POST.get(f, "") for f in FIELDS}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            membership = onboarding.first_owner_create(
                email=values["email"],
                name=values["name"],
                password=request.POST.get("password", ""),
                organization_name=values["organization_name"],
                timezone=values["timezone"],
                now=utc_now(),
            )
        except SlotwiseError as exc:
            errors = {d["parameter"]: d["message"] for d in exc.details} or {"": exc.message}
        else:
            login(request, membership.user, backend=settings.AUTHENTICATION_BACKENDS[0])
            return redirect("dashboard")
    return render(
        request,
        "web/setup.html",
        {"form": values, "errors": errors, "zones": all_zones()},
        status=400 if errors else 200,
    )


_login = auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True)


def login_view(request, *args, **kwargs):
    if onboarding.install_is_new():
        return redirect("first_run")
    return _login(request, *args, **kwargs)
