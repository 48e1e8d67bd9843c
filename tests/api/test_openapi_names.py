"""django-ninja names an OpenAPI component after its Schema class, and two classes of one name silently share
one component: the second resource's responses are then validated against the first's shape. Every schema
class reachable from the API has a name of its own."""

import inspect
from collections import defaultdict

from ninja import Schema

from slotwise.api import v2


def test_every_api_schema_class_name_is_unique():
    owners = defaultdict(set)
    modules = [m for m in vars(v2).values() if inspect.ismodule(m) and m.__name__.startswith("slotwise.api")]
    for module in modules:
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, Schema) and obj.__module__ == module.__name__:
                owners[obj.__name__].add(module.__name__)
    clashes = {name: sorted(mods) for name, mods in owners.items() if len(mods) > 1}
    assert len(modules) > 10
    assert not clashes, clashes
