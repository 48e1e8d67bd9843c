"""Page middleware: the login lockout page and the security headers of every response."""

from django.shortcuts import render


class LoginLockoutMiddleware:
    """A sign-in refused or stopped by the lockout (accounts/lockout.py) answers 429 with a page that says
    when to try again: the same for /login/ and the admin's login, which both go through authenticate()."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        lock = getattr(request, "slotwise_login_lock", None)
        if lock is None:
            return response
        now = request.slotwise_login_now
        page = render(
            request,
            "web/locked.html",
            {
                "message": lock.message(now),
                "login_url": request.path,
            },
            status=429,
        )
        page["Retry-After"] = str(lock.retry_after(now))
        return page


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def content_security_policy(request, response) -> str:
    """No inline script, style or handler anywhere (static files only); forms post to Slotwise or to the
    OAuth providers we send hosts to. frame-ancestors: a booking page (its view sets
    request.embed_organization) may be framed by Slotwise and by the sites its organization lists
    (Organization.embed_origins, web/EMBEDDING.md); every other page by nobody."""
    from django.conf import settings

    form_action = ["'self'"] + [
        o
        for o in (
            _origin(getattr(settings, "SLOTWISE_GOOGLE_AUTH_URL", "")),
            _origin(getattr(settings, "ZOOM_OAUTH_BASE", "")),
            _origin(getattr(settings, "SLOTWISE_MICROSOFT_LOGIN_URL", "")),
        )
        if o
    ]
    form_action += getattr(response, "csp_form_action", [])
    org = getattr(request, "embed_organization", None)
    ancestors = ["'self'", *org.embed_origins] if org is not None else ["'none'"]
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": form_action,
        "frame-ancestors": ancestors,
    }
    directives.update(getattr(response, "csp_override", {}))
    return "; ".join(f"{name} {' '.join(dict.fromkeys(values))}" for name, values in directives.items())


class SecurityHeadersMiddleware:
    """Content-Security-Policy on every response (see content_security_policy), and X-Frame-Options kept in
    step with frame-ancestors for old browsers: DENY except on booking pages, which send none (an old
    browser cannot express "these sites only" with it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy(request, response)
        if getattr(request, "embed_organization", None) is not None and response.get("X-Frame-Options"):
            del response["X-Frame-Options"]
        return response


class LanguageMiddleware:
    """The language of the invitee's side: the one chosen on the page (`?lang=`, then remembered in a
    cookie), else the browser's Accept-Language, else Django's default, which a booking page replaces
    with its event type's default language (request.language_source == "default"; web/public.py). The
    dashboard speaks English."""

    ENGLISH_ONLY = ("/dashboard/", "/login/", "/logout/", "/api/", "/admin/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation
        from django.utils.cache import patch_vary_headers
        from django.utils.translation.trans_real import parse_accept_lang_header

        from slotwise.core.languages import supported

        asked = supported(request.GET.get("lang", ""))
        remembered = supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""))
        language, source = settings.LANGUAGE_CODE, "default"
        if request.path.startswith(self.ENGLISH_ONLY):
            source = "fixed"
        elif asked or remembered:
            language, source = asked or remembered, "chosen"
        else:
            header = request.headers.get("Accept-Language", "")
            for code, _ in parse_accept_lang_header(header[:500]):
                if code != "*" and supported(code):
                    language, source = supported(code), "browser"
                    break
        request.language_source = source
        activate(request, language)
        response = self.get_response(request)
        if asked and asked != remembered:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                asked,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.SESSION_COOKIE_SECURE,
            )
        if source != "fixed":
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        translation.deactivate()
        return response


def activate(request, language: str) -> None:
    """Speak `language` for the rest of this request (a view that knows better than the middleware)."""
    from django.utils import translation

    translation.activate(language)
    request.LANGUAGE_CODE = language
