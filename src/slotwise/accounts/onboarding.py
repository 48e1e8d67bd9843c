"""The first run of a fresh install: with no users at all, the site offers to create the first owner and
their organization instead of a login nobody can pass (the web door: web/onboarding.py). Once any user
exists this refuses, so the page can never be used to add an owner to a running install."""

from datetime import datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from slotwise.core.errors import Conflict, InvalidInput
from slotwise.core.timezones import validate_zone

from .models import Membership, Organization, User

# First path segments the site itself uses: an organization with one of these slugs would have no booking page.
RESERVED_SLUGS = frozenset(
    {
        "admin",
        "api",
        "booked",
        "cancel",
        "d",
        "dashboard",
        "feeds",
        "healthz",
        "invite",
        "hooks",
        "login",
        "logout",
        "media",
        "metrics",
        "oauth",
        "readyz",
        "reschedule",
        "setup",
        "static",
    }
)


def install_is_new() -> bool:
    return not User.objects.exists()


def first_owner_create(
    *, email: str, name: str, password: str, organization_name: str, timezone: str, now: datetime
) -> Membership:
    """The first user, owner of a new organization whose booking pages live at /<slug>/. Every invalid value
    is reported at once: InvalidInput's details list each field and its message."""
    errors: dict[str, str] = {}
    email = (email or "").strip().lower()
    name = (name or "").strip()
    organization_name = (organization_name or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = "Enter your email address, such as ana@example.com"
    if not name:
        errors["name"] = "Enter your name, as invitees will see it"
    elif len(name) > 200:
        errors["name"] = "Your name can be at most 200 characters"
    slug = slugify(organization_name)[:64]
    if not organization_name:
        errors["organization_name"] = "Enter your organization's name, such as Acme Support"
    elif len(organization_name) > 200:
        errors["organization_name"] = "The organization's name can be at most 200 characters"
    elif not slug:
        errors["organization_name"] = "The organization's name needs a letter or digit for its web address"
    elif slug in RESERVED_SLUGS:
        errors["organization_name"] = f"/{slug}/ is taken by Slotwise itself; choose another name"
    try:
        validate_zone(timezone)
    except InvalidInput:
        errors["timezone"] = "Choose your time zone from the list, such as Europe/Berlin"
    try:
        validate_password(password or "", User(email=email, name=name))
    except ValidationError as exc:
        errors["password"] = " ".join(exc.messages)
    if errors:
        field, message = next(iter(errors.items()))
        raise InvalidInput(message, field=field, details=[{"parameter": f, "message": m} for f, m in errors.items()])
    with transaction.atomic():
        # Inside the write transaction (SQLite: IMMEDIATE; PostgreSQL: the unique email decides a race).
        if User.objects.exists():
            raise Conflict("Slotwise is already set up: sign in, or ask an owner to invite you")
        user = User.objects.create_user(email=email, password=password, name=name, timezone=timezone, date_joined=now)
        org = Organization.objects.create(slug=slug, name=organization_name, timezone=timezone, created_at=now)
        member_slug = slugify(name)[:64] or slugify(email.split("@")[0])[:64] or "owner"
        return Membership.objects.create(
            organization=org, user=user, role=Membership.Role.OWNER, slug=member_slug, created_at=now
        )
