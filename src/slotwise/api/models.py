import uuid

from django.db import models
from django.utils.timezone import now

from slotwise.accounts.models import Membership, Organization


class ApiToken(models.Model):
    """A bearer credential for one membership. Only a SHA-256 of the secret is kept: the secrets are 32
    random bytes, so a fast hash is enough (argon2 is for guessable passwords). `prefix` is shown in
    lists and used to revoke; it is not secret."""

    class Scope(models.TextChoices):
        READ = "read"
        WRITE = "write"

    class Kind(models.TextChoices):
        PERSONAL = "personal"
        OAUTH = "oauth"

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSONAL)
    prefix = models.CharField(max_length=16, unique=True)
    hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    application = models.ForeignKey(
        "OAuthApplication", null=True, blank=True, on_delete=models.CASCADE, related_name="tokens"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.prefix}… ({self.membership}, {self.scope})"

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE


class OAuthApplication(models.Model):
    """A third-party app that asks hosts for access with the authorization-code flow (PKCE required).

    No organization: an app of this instance that any host may approve (the browser extension, created by a
    migration with client_id `slotwise-browser-extension`)."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="oauth_applications"
    )
    name = models.CharField(max_length=100)
    client_id = models.CharField(max_length=64, unique=True)
    client_secret_hash = models.CharField(max_length=64, blank=True, help_text="Empty: a public client (PKCE only)")
    redirect_uris = models.JSONField(default=list)
    created_at = models.DateTimeField(default=now)

    def __str__(self):
        return self.name


class OAuthGrant(models.Model):
    """An authorization code (hashed), good once for a few minutes, bound to its PKCE challenge."""

    application = models.ForeignKey(OAuthApplication, on_delete=models.CASCADE, related_name="grants")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    code_challenge = models.CharField(max_length=128)
    redirect_uri = models.CharField(max_length=500)
    scope = models.CharField(max_length=5, default="read")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


class OAuthRefreshToken(models.Model):
    """Rotates: each use revokes it (and its access token) and issues a new pair. Reuse of a rotated
    refresh token revokes the whole family, since it means the token leaked."""

    application = models.ForeignKey(OAuthApplication, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    access_token = models.ForeignKey(ApiToken, null=True, on_delete=models.SET_NULL, related_name="+")
    family = models.UUIDField(default=uuid.uuid4)
    hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=5, default="read")
    created_at = models.DateTimeField(default=now)
    used_at = models.DateTimeField(null=True, blank=True)
