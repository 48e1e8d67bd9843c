from django.contrib import admin

from slotwise.core.clock import utc_now

from .models import Job
from .services import retry


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "status", "attempts", "due_at", "organization", "finished_at")
    list_filter = ("status", "kind")
    search_fields = ("key",)
    actions = ["retry_jobs"]

    @admin.action(description="Retry the selected failed or canceled jobs")
    def retry_jobs(self, request, queryset):
        now = utc_now()
        n = 0
        for job in queryset.filter(status__in=[Job.Status.FAILED, Job.Status.CANCELED]):
            retry(job, now)
            n += 1
        self.message_user(request, f"{n} job(s) will run again now.")
