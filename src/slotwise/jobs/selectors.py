from .models import Job


def failed_jobs(*, organization_ids: list[int], limit: int = 200) -> list[Job]:
    return list(
        Job.objects.filter(organization_id__in=organization_ids, status=Job.Status.FAILED)
        .select_related("organization")
        .order_by("-finished_at", "-pk")[:limit]
    )


def queue_counts(*, organization_ids: list[int]) -> dict[str, int]:
    from django.db.models import Count

    rows = Job.objects.filter(organization_id__in=organization_ids).values("status").annotate(n=Count("id"))
    counts = {s: 0 for s in Job.Status.values}
    counts.update({r["status"]: r["n"] for r in rows})
    return counts
