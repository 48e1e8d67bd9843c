from django.core.management.base import CommandError

from slotwise.api import tokens
from slotwise.core.clock import utc_now
from slotwise.core.errors import SlotwiseError
from slotwise.core.verbs import Verb


class Command(Verb):
    help = (
        "API tokens: `token create --email EMAIL [--scope read|write] [--org SLUG] [--name N]`, `token revoke PREFIX`"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a personal access token and print it once")
        create.add_argument("--email", required=True)
        create.add_argument("--scope", default="read", choices=tokens.SCOPES)
        create.add_argument("--org", default=None, help="the organization slug, when the user is in several")
        create.add_argument("--name", default="cli")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **options):
        now = utc_now()
        try:
            if action == "create":
                membership = tokens.membership_for(email=options["email"], org_slug=options["org"])
                token, secret = tokens.token_create(
                    membership=membership, scope=options["scope"], name=options["name"], now=now
                )
                self.stderr.write(
                    f"token {token.prefix} ({token.scope}) for {membership.user.email} in "
                    f"{membership.organization.slug}; it is shown once, store it now:"
                )
                self.stdout.write(secret)
            else:
                token = tokens.token_revoke(prefix=options["prefix"], now=now)
                self.stdout.write(f"revoked {token.prefix}")
        except SlotwiseError as exc:
            raise CommandError(exc.message) from None
