from .models import Rule, RuleRun


def rules_with_runs(*, organization_ids: list[int], runs_per_rule: int = 20) -> list[tuple[Rule, list[RuleRun]]]:
    rules = list(
        Rule.objects.filter(organization_id__in=organization_ids).select_related("organization").order_by("pk")
    )
    out = []
    for rule in rules:
        runs = list(rule.runs.select_related("booking__event_type").order_by("-created_at", "-pk")[:runs_per_rule])
        out.append((rule, runs))
    return out
