from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/webhooks/", views.index, name="webhooks"),
    path("dashboard/webhooks/<uuid:uuid>/", views.detail, name="webhook-detail"),
    path("dashboard/webhooks/<uuid:uuid>/sample/", views.sample, name="webhook-sample"),
    path("dashboard/webhooks/<uuid:uuid>/remove/", views.remove, name="webhook-remove"),
]
