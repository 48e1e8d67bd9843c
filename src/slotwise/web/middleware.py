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
        page = render(request, "web/locked.html", {
            "message": lock.message(now), "login_url": request.path,
        }, status=429)
        page["Retry-After"] = str(lock.retry_after(now))
        return page
