from django.http import JsonResponse
from django.urls import path

from . import readiness
from .metrics import metrics_view


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    """200 when every dependency answers, 503 naming each one that does not, with what to do about it."""
    results, failing = readiness.run()
    body: dict = {"status": "ok" if not failing else "unavailable", "checks": results}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]
