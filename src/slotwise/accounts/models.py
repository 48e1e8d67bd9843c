import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils.timezone import now


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=now)

    objects = UserManager()
    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    def __str__(self):
        return self.name or self.email


class Organization(models.Model):
    """The tenant. Every row a customer can see hangs off exactly one organization.

    Agencies: an organization with `is_agency` set runs other organizations, its sub-accounts (`parent` is
    the agency). A sub-account is a full tenant of its own (members, event types, calendars, contacts,
    bookings, connections); the agency's own rows stay the agency's. One level only: an agency has no
    parent, a sub-account is no agency (accounts/services.py refuses the rest with a message).

    Who may enter a sub-account: its own members, and the owners and admins of its agency. An agency owner
    or admin acts inside a sub-account through a Membership of their own there, like every host (bookings,
    schedules, tokens and stars point at a Membership). They get it when they first enter
    (`accounts.services.sub_account_enter`): role admin, `via_agency` set, so the sub-account's team page
    shows who came from the agency. Such a membership acts only while its user is still an owner or admin
    of the agency (`accounts.selectors.current_membership` checks it on every page and API call); a
    sub-account's own members never see the agency or its other sub-accounts. See docs/agencies.md.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(default=now)
    # Origins (scheme://host[:port]) whose pages may frame this organization's booking pages; see
    # web/EMBEDDING.md. Empty: only Slotwise itself may frame them.
    embed_origins = models.JSONField(default=list, blank=True)
    # The weekday weekly booking limits count from: 0 Monday (ISO 8601, the default) .. 6 Sunday.
    week_start = models.PositiveSmallIntegerField(default=0)
    is_agency = models.BooleanField(default=False, help_text="Runs sub-accounts for client businesses")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sub_accounts",
        help_text="The agency this sub-account belongs to; empty for agencies and stand-alone organizations",
    )

    class Meta:
        constraints = [
            # One level: a sub-account is never an agency itself (services say so in words first).
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True) | models.Q(is_agency=False),
                name="organization_sub_account_is_no_agency",
            ),
        ]

    def __str__(self):
        return self.slug


class MembershipQuerySet(models.QuerySet):
    def active(self):
        """Members who have not been removed: the only ones any list of members, hosts or pools shows."""
        return self.filter(deactivated_at__isnull=True)


class Membership(models.Model):
    """A user inside an organization. A host is a membership: bookings, schedules and pools point here.

    Removing a member deactivates the membership (`deactivated_at`), never deletes it: their past bookings
    keep their host. A deactivated membership acts nowhere (accounts.selectors.current_membership) and is
    listed nowhere (`Membership.objects.active()`); an invitation accepted later makes it active again."""

    class Role(models.TextChoices):
        OWNER = "owner"
        ADMIN = "admin"
        MEMBER = "member"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    slug = models.SlugField(max_length=64, help_text="The host's part of the booking URL: /<org>/<slug>/")
    dead_link_offers_public_page = models.BooleanField(
        default=False,
        help_text="When a single-use link this host sent is used, expired or revoked, its page offers the "
        "host's public booking page",
    )
    via_agency = models.BooleanField(
        default=False,
        help_text="Created when an owner or admin of the agency entered this sub-account; acts only while they "
        "still are one",
    )
    created_at = models.DateTimeField(default=now)
    deactivated_at = models.DateTimeField(null=True, blank=True, help_text="When an owner or admin removed them")

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user"),
            models.UniqueConstraint(fields=["organization", "slug"], name="membership_unique_slug"),
        ]

    def __str__(self):
        return f"{self.organization.slug}/{self.slug}"

    @property
    def is_admin(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.ADMIN)


class Team(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    slug = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    timezone = models.CharField(
        max_length=64, default="UTC", help_text="The clock that team events' start times are aligned to."
    )
    members = models.ManyToManyField(Membership, related_name="teams", blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "slug"], name="team_unique_slug")]

    def __str__(self):
        return f"{self.organization.slug}/team/{self.slug}"


class Invitation(models.Model):
    """An owner's or admin's invitation to join the organization, sent by email as a signed single-use link
    (accounts.services.invitation_token). Resending gives the invitation a new `nonce`, so the link sent
    before stops working; accepting, revoking or `expires_at` passing ends it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    invited_by = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL, related_name="+")
    nonce = models.CharField(max_length=64, help_text="The current link's secret part; a resend replaces it")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    membership = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            # One open invitation per address and organization; an expired one is renewed, not duplicated.
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            )
        ]

    def __str__(self):
        return f"{self.organization.slug}: {self.email}"

    def state(self, now) -> str:
        """pending | accepted | revoked | expired"""
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "pending"


class LoginThrottle(models.Model):
    """Failed sign-ins counted under one key: "account:<email>" or "address:<ip>" (see accounts/lockout.py).
    A row exists only while there are failures to remember."""

    key = models.CharField(max_length=300, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.key}: {self.failures}"
