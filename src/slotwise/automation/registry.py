"""Actions a rule can take. CONTRACT (other apps code against it; keep it stable):

    register_action(name, *, do, undo=None, label="", targets=None, check=None)
    do(*, rule, booking, params: dict, now) -> dict      # returns state to remember for undo
    undo(*, rule, booking, params: dict, state: dict, now) -> None
    targets(organization) -> list[(params: dict, words: str)]   # where it can act, for the dashboard form
    check(*, organization, params: dict) -> dict         # refuse bad params when the rule is saved

Actions run as durable jobs, never inline in the booking's transaction: they may call the network. Raise
to retry (with backoff); every run is logged as a RuleRun. An action without `undo` is not undone when
the booking is canceled (an email cannot be unsent)."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Action:
    name: str
    do: Callable
    undo: Callable | None = None
    label: str = ""  # what it does, in words: "Copy it to a calendar"
    targets: Callable | None = None
    check: Callable | None = None


_actions: dict[str, Action] = {}


def register_action(
    name: str,
    *,
    do: Callable,
    undo: Callable | None = None,
    label: str = "",
    targets: Callable | None = None,
    check: Callable | None = None,
) -> None:
    _actions[name] = Action(name=name, do=do, undo=undo, label=label or name, targets=targets, check=check)


def get_action(name: str) -> Action | None:
    return _actions.get(name)


def action_names() -> list[str]:
    return sorted(_actions)
