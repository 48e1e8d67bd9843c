"""Settings, read from the environment with safe defaults for a local start.

Nothing set: SQLite under ./var, DEBUG on, a development secret, mail printed to the console.
SLOTWISE_ENV=production: DEBUG off, and start-up refuses the development secret.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from slotwise.config.datadir import data_dir
from slotwise.core.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent  # src/slotwise
DATA_DIR = data_dir()

ENV = os.environ.get("SLOTWISE_ENV", "development")
PRODUCTION = ENV == "production"
DEBUG = os.environ.get("SLOTWISE_DEBUG", "0" if PRODUCTION else "1") == "1"

DEV_SECRET_KEY = "slotwise-development-secret-do-not-use-in-production"  # noqa: S105 - refused in production below
SECRET_KEY = os.environ.get("SLOTWISE_SECRET_KEY", DEV_SECRET_KEY)
if PRODUCTION and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "SLOTWISE_ENV=production with the development secret key: set SLOTWISE_SECRET_KEY to a long random "
        "value (for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("SLOTWISE_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("SLOTWISE_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
# The public base URL, used in links that leave the server (emails, API `uri`s, booking URLs).
# Links in emails, invitations and the demo's printout. Unset: the address `slotwise serve` listens on
# (SLOTWISE_HOST/SLOTWISE_PORT, which --host/--port set), so a demo served on another port links to it.
_LISTEN_HOST = os.environ.get("SLOTWISE_HOST", "127.0.0.1")
_LINK_HOST = "127.0.0.1" if _LISTEN_HOST in ("0.0.0.0", "::", "") else _LISTEN_HOST  # noqa: S104 - a comparison, not a bind
BASE_URL = os.environ.get("SLOTWISE_BASE_URL", f"http://{_LINK_HOST}:{os.environ.get('SLOTWISE_PORT', '8000')}").rstrip(
    "/"
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "slotwise.core",
    "slotwise.jobs",
    "slotwise.accounts",
    "slotwise.scheduling",
    "slotwise.bookings",
    "slotwise.contacts",
    "slotwise.conferencing",
    "slotwise.notifications",
    "slotwise.webhooks",
    "slotwise.calendars",
    "slotwise.imports",
    "slotwise.automation",
    "slotwise.api",
    "slotwise.web",
    "slotwise.cli",
]

MIDDLEWARE = [
    # Outermost: the request id is bound for everything below, and the latency counts the whole answer.
    "slotwise.core.logs.RequestIdMiddleware",
    "slotwise.core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "slotwise.web.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "slotwise.web.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "slotwise.web.middleware.LoginLockoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "slotwise.core.middleware.ErrorMiddleware",
    "slotwise.core.middleware.TextGuardMiddleware",
]

ROOT_URLCONF = "slotwise.config.urls"
WSGI_APPLICATION = "slotwise.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "slotwise.web.context.account_switcher",
                "django.template.context_processors.i18n",
            ],
        },
    },
]


def _database(url: str) -> dict:
    db = dj_database_url.parse(url, conn_max_age=int(os.environ.get("SLOTWISE_DB_CONN_MAX_AGE", "0")))
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # Writers queue on BEGIN IMMEDIATE instead of failing on a lock upgrade; WAL lets readers go on
        # while one writer works. Both are needed for race-free booking on SQLite (see bookings/services.py).
        db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    return db


DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'slotwise.sqlite3'}"
DATABASES = {"default": _database(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests use a file (not :memory:) so that concurrent connections share one database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-slotwise.sqlite3")}

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
# ModelBackend with the login lockout in front: while an account or address is locked it refuses before any
# password is checked (accounts/lockout.py).
AUTHENTICATION_BACKENDS = ["slotwise.accounts.lockout.LockoutBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/dashboard/"

LANGUAGE_CODE = "en"
# The languages of the invitee's side (booking, cancel and reschedule pages, emails, invitations), each
# named in itself for the switcher. The dashboard speaks English. Translations: src/slotwise/locale/.
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("pt-br", "Português (Brasil)"),
    ("ja", "日本語"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "sw_lang"
LANGUAGE_COOKIE_AGE = 365 * 86400
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_BACKEND = os.environ.get(
    "SLOTWISE_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("SLOTWISE_SMTP_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("SLOTWISE_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("SLOTWISE_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("SLOTWISE_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("SLOTWISE_SMTP_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("SLOTWISE_SMTP_TLS", "0") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("SLOTWISE_FROM_EMAIL", "Slotwise <no-reply@slotwise.localhost>")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
# Framing: booking pages say who may frame them (frame-ancestors, per organization); everything else says
# nobody (slotwise/web/middleware.py).
X_FRAME_OPTIONS = "DENY"
# Production sits behind TLS: browsers are told to use https only (SLOTWISE_HSTS_SECONDS, default a year;
# 0 turns it off), and the proxy's X-Forwarded-Proto says whether a request came in over https (so secure
# cookies and absolute URLs are right). Set SLOTWISE_PROXY_SSL_HEADER=0 when no proxy sets that header.
SECURE_HSTS_SECONDS = int(os.environ.get("SLOTWISE_HSTS_SECONDS", "31536000" if PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("SLOTWISE_HSTS_INCLUDE_SUBDOMAINS", "0") == "1"
if PRODUCTION and os.environ.get("SLOTWISE_PROXY_SSL_HEADER", "1") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Client addresses (rate limits, login lockout): how many proxies of ours stand in front and append to
# X-Forwarded-For (0: use the connection's address; see slotwise/core/clientaddr.py).
SLOTWISE_TRUST_FORWARDED_FOR = int(os.environ.get("SLOTWISE_TRUST_FORWARDED_FOR", "0"))
# API requests per token per window (api/base.py).
SLOTWISE_API_RATE_LIMIT = int(os.environ.get("SLOTWISE_API_RATE_LIMIT", "1000"))
SLOTWISE_API_RATE_WINDOW = int(os.environ.get("SLOTWISE_API_RATE_WINDOW", "60"))
# Login lockout (accounts/lockout.py): failures per account and per address before a lock, first lock length.
SLOTWISE_LOGIN_ACCOUNT_LIMIT = int(os.environ.get("SLOTWISE_LOGIN_ACCOUNT_LIMIT", "5"))
SLOTWISE_LOGIN_ADDRESS_LIMIT = int(os.environ.get("SLOTWISE_LOGIN_ADDRESS_LIMIT", "20"))
SLOTWISE_LOGIN_LOCKOUT_SECONDS = int(os.environ.get("SLOTWISE_LOGIN_LOCKOUT_SECONDS", "60"))

# Logs: JSON lines carrying the request id and job id (slotwise/core/logs.py) in production or with
# SLOTWISE_LOG_FORMAT=json; plain text locally.
SLOTWISE_LOG_FORMAT = os.environ.get("SLOTWISE_LOG_FORMAT", "json" if PRODUCTION else "text")
LOGGING = logging_config(json_format=SLOTWISE_LOG_FORMAT == "json", level=os.environ.get("SLOTWISE_LOG_LEVEL", "INFO"))
# /metrics (slotwise/core/metrics.py): in production, scrapers send this as a bearer token; unset, only this
# machine may scrape. Development serves it to anyone.
SLOTWISE_METRICS_TOKEN = os.environ.get("SLOTWISE_METRICS_TOKEN", "")

DATA_DIR.mkdir(parents=True, exist_ok=True)

# --- outbound HTTP (read only by slotwise.core.outbound and its callers) ------------------------------------
# Webhooks, rule actions, calendars and Zoom never connect to private, link-local or reserved addresses.
# Loopback (127.0.0.0/8, ::1) is allowed in development and tests, where the receivers run on this machine;
# production refuses it unless SLOTWISE_OUTBOUND_ALLOW_LOOPBACK=1.
OUTBOUND_ALLOW_LOOPBACK = os.environ.get("SLOTWISE_OUTBOUND_ALLOW_LOOPBACK", "0" if PRODUCTION else "1") == "1"
# Seconds one webhook delivery may take in all (connect, send, read the answer).
SLOTWISE_WEBHOOK_TIMEOUT = float(os.environ.get("SLOTWISE_WEBHOOK_TIMEOUT", "10"))

# --- jobs / notifications / conferencing (read only by slotwise.jobs, .notifications, .conferencing) ---
JITSI_BASE_URL = os.environ.get("SLOTWISE_JITSI_BASE_URL", "https://meet.jit.si")
ZOOM_API_BASE = os.environ.get("SLOTWISE_ZOOM_API_BASE", "https://api.zoom.us/v2")
ZOOM_OAUTH_BASE = os.environ.get("SLOTWISE_ZOOM_OAUTH_BASE", "https://zoom.us")
ZOOM_CLIENT_ID = os.environ.get("SLOTWISE_ZOOM_CLIENT_ID", "")
ZOOM_CLIENT_SECRET = os.environ.get("SLOTWISE_ZOOM_CLIENT_SECRET", "")
# How idle workers hear of a new job (slotwise/jobs/wake.py): "database" = NOTIFY on PostgreSQL, polling on
# SQLite; "redis" = a Redis list on REDIS_URL, for workers on several machines. They also poll regardless.
SLOTWISE_JOBS_WAKE = os.environ.get("SLOTWISE_JOBS_WAKE", "database")
SLOTWISE_JOBS_REDIS_KEY = os.environ.get("SLOTWISE_JOBS_REDIS_KEY", "slotwise:jobs")
# Each `slotwise worker` writes a heartbeat row this often; /readyz fails when the newest is older than the
# stale limit (no worker is working the queue).
SLOTWISE_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("SLOTWISE_WORKER_HEARTBEAT_SECONDS", "10"))
SLOTWISE_WORKER_STALE_SECONDS = float(os.environ.get("SLOTWISE_WORKER_STALE_SECONDS", "60"))

# --- calendars (read only by slotwise.calendars) -------------------------------------------------------------
# Key for encrypting CalDAV passwords and OAuth tokens at rest (defaults to one derived from SECRET_KEY);
# read by slotwise.core.secrets, which calendars and imports seal with.
SLOTWISE_CALENDAR_KEY = os.environ.get("SLOTWISE_CALENDAR_KEY", "")
SLOTWISE_CALENDAR_WINDOW_DAYS = int(os.environ.get("SLOTWISE_CALENDAR_WINDOW_DAYS", "180"))  # busy time kept ahead
# ... or as far as the longest bounded booking window of the host's event types, up to this (calendars/sync.py)
SLOTWISE_CALENDAR_MAX_WINDOW_DAYS = int(os.environ.get("SLOTWISE_CALENDAR_MAX_WINDOW_DAYS", "3660"))
SLOTWISE_CALENDAR_HTTP_TIMEOUT = float(os.environ.get("SLOTWISE_CALENDAR_HTTP_TIMEOUT", "20"))
SLOTWISE_CALENDAR_MAX_BYTES = int(os.environ.get("SLOTWISE_CALENDAR_MAX_BYTES", str(20 * 1024 * 1024)))
SLOTWISE_GOOGLE_CLIENT_ID = os.environ.get("SLOTWISE_GOOGLE_CLIENT_ID", "")
SLOTWISE_GOOGLE_CLIENT_SECRET = os.environ.get("SLOTWISE_GOOGLE_CLIENT_SECRET", "")
SLOTWISE_GOOGLE_AUTH_URL = os.environ.get("SLOTWISE_GOOGLE_AUTH_URL", "https://accounts.google.com/o/oauth2/v2/auth")
SLOTWISE_GOOGLE_TOKEN_URL = os.environ.get("SLOTWISE_GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token")
SLOTWISE_GOOGLE_API_URL = os.environ.get("SLOTWISE_GOOGLE_API_URL", "https://www.googleapis.com")
# Microsoft 365 / Outlook (calendars/adapters/microsoft.py): an app registration's client id and secret; the
# tenant is "common" (work, school and personal accounts) unless the app is registered for one organization.
SLOTWISE_MICROSOFT_CLIENT_ID = os.environ.get("SLOTWISE_MICROSOFT_CLIENT_ID", "")
SLOTWISE_MICROSOFT_CLIENT_SECRET = os.environ.get("SLOTWISE_MICROSOFT_CLIENT_SECRET", "")
SLOTWISE_MICROSOFT_TENANT = os.environ.get("SLOTWISE_MICROSOFT_TENANT", "common")
SLOTWISE_MICROSOFT_LOGIN_URL = os.environ.get("SLOTWISE_MICROSOFT_LOGIN_URL", "https://login.microsoftonline.com")
SLOTWISE_MICROSOFT_GRAPH_URL = os.environ.get("SLOTWISE_MICROSOFT_GRAPH_URL", "https://graph.microsoft.com")

# --- imports (read only by slotwise.imports): the Calendly OAuth app (Settings -> Connections -> Calendly) ---
SLOTWISE_CALENDLY_CLIENT_ID = os.environ.get("SLOTWISE_CALENDLY_CLIENT_ID", "")
SLOTWISE_CALENDLY_CLIENT_SECRET = os.environ.get("SLOTWISE_CALENDLY_CLIENT_SECRET", "")
SLOTWISE_CALENDLY_API_BASE = os.environ.get("SLOTWISE_CALENDLY_API_BASE", "https://api.calendly.com")
SLOTWISE_CALENDLY_AUTH_BASE = os.environ.get("SLOTWISE_CALENDLY_AUTH_BASE", "https://auth.calendly.com")

# --- web (read only by slotwise.web: booking pages and dashboard) -------------------------------------------
# Requests per minute per client address on public pages (0: no limit); seconds between an open booking
# page's re-reads of its times.
SLOTWISE_WEB_RATE_LIMIT = int(os.environ.get("SLOTWISE_WEB_RATE_LIMIT", "300"))
SLOTWISE_WEB_POLL_SECONDS = int(os.environ.get("SLOTWISE_WEB_POLL_SECONDS", "30"))
