from django.http import JsonResponse

from .errors import RateLimited, SlotwiseError


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
