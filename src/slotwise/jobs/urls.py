from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("dashboard/jobs/", views.failed_jobs, name="failed"),
    path("dashboard/jobs/<int:job_id>/retry/", views.retry_job, name="retry"),
]
