from django.http import HttpResponse, JsonResponse
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string

from . import text
from .errors import InvalidInput, RateLimited, SlotwiseError


def error_response(exc: SlotwiseError) -> JsonResponse:
    resp = JsonResponse({"title": exc.title, "message": exc.message, "details": exc.details}, status=exc.status)
    if isinstance(exc, RateLimited):
        resp["Retry-After"] = str(exc.retry_after)
    return resp


class ErrorMiddleware:
    """A SlotwiseError escaping a plain Django view becomes its 4xx, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if isinstance(exc, SlotwiseError):
            return error_response(exc)
        return None


class TextGuardMiddleware:
    """The outer guard for text from outside: every URL path parameter (tokens, uids, slugs) and every
    query-string key and value goes through slotwise.core.text before a view (and so a query) sees it.
    A NUL in `/cancel/%00/` is a 400 that says so, not a PostgreSQL error. Forms and services still check
    their own fields, with field messages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        try:
            for name, value in view_kwargs.items():
                if isinstance(value, str):
                    text.clean_name(value, field=name, label=f"The address ({name})", max_length=None)
            for value in view_args:
                if isinstance(value, str):
                    text.clean_name(value, field="path", label="The address", max_length=None)
            for key, values in request.GET.lists():
                text.clean_name(key, field=key, label="A query parameter name", max_length=None)
                for value in values:
                    text.clean_text(value, field=key, label=f"Query parameter {key}", multiline=True, strip=False)
        except InvalidInput as exc:
            return bad_input_response(request, exc)
        return None


def bad_input_response(request, exc: SlotwiseError):
    """The API answers in its JSON error shape; pages answer with a page that says what to fix."""
    if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
        exc.title = "Invalid Argument"
        return error_response(exc)
    try:
        body = render_to_string("web/error.html", {"message": exc.message}, request=request)
        return HttpResponse(body, status=exc.status)
    except TemplateDoesNotExist:  # no web app installed: plain text still names what is wrong
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
