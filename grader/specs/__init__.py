"""The exercises, in course order; each module here declares one ``EXERCISE``."""
from __future__ import annotations

import importlib
import pkgutil

from ..spec import Exercise

COURSE_ORDER = ("numpy_by_hand", "autograd", "minibatch", "pytorch_way", "features", "seeing")
_FOUND = {m.name for m in pkgutil.iter_modules(__path__)}
IDS = tuple(id for id in COURSE_ORDER if id in _FOUND) + tuple(sorted(_FOUND - set(COURSE_ORDER)))
MODULES = tuple(f"{__name__}.{id}" for id in IDS)


def exercise(id: str) -> Exercise:
    """The exercise with this id; KeyError if there is none."""
    if id not in IDS:
        raise KeyError(id)
    return importlib.import_module(f"{__name__}.{id}").EXERCISE


def exercises() -> tuple[Exercise, ...]:
    return tuple(exercise(id) for id in IDS)
