from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("hooks/calendly/<str:token>/", views.calendly_hook, name="calendly_hook"),
]
