"""The exercises, in course order; each module declares one ``EXERCISE``."""
from __future__ import annotations

import importlib

from ..spec import Exercise

IDS = ("minibatch",)
MODULES = tuple(f"{__name__}.{id}" for id in IDS)


def exercise(id: str) -> Exercise:
    """The exercise with this id; KeyError if there is none."""
    if id not in IDS:
        raise KeyError(id)
    return importlib.import_module(f"{__name__}.{id}").EXERCISE


def exercises() -> tuple[Exercise, ...]:
    return tuple(exercise(id) for id in IDS)
