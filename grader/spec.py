"""The vocabulary an exercise uses to declare its checks, as data.

An ``Exercise`` lists ``Check``s. A check names the function (or class) it grades,
how many points it is worth, the cases it runs, how to build the inputs of a case,
how to exercise the target (the probe) and which ``Output``s to compare with the
reference, within which tolerances. Each (check, case) pair is one graded ``Item``.

Builders and probes run only in the child process that runs student code; the
grading process reads names, points, tolerances and labels, never the code.
"""
from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping


class Lazy:
    """A module imported on first use, so that the grading process never imports torch."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self._name), attr)


@dataclass(frozen=True)
class Output:
    """One value a check compares: its name, tolerances, and how to describe it."""

    name: str
    about: str = ""  # what the value is, e.g. "the loss at the start of each epoch"
    rtol: float = 1e-4
    atol: float = 1e-5
    exact: bool = False  # compare as exact values (text, counts), not within tolerances
    columns: tuple[str, ...] = ()  # names of the last axis, e.g. ("w", "b")
    history: Callable[[int, Mapping], str] | None = None  # names position i of a history
    hints: Mapping[str, str] = field(default_factory=dict)  # pattern -> likely cause


@dataclass(frozen=True)
class Case:
    """The parameters of one run of a check; hidden cases run only when an instructor grades."""

    params: Mapping[str, Any]
    hidden: bool = False
    label: str = ""


@dataclass(frozen=True)
class Check:
    """One graded behaviour of one target, run on each of its cases."""

    name: str
    target: str
    points: float
    build: Callable[[Mapping], tuple]  # case params -> positional arguments of the target
    probe: Callable[[Any, tuple, Mapping], dict]  # (target, args, params) -> raw outputs
    outputs: tuple[Output, ...]
    cases: tuple[Case, ...] = (Case({}),)
    params: Mapping[str, Any] = field(default_factory=dict)  # defaults that cases override
    about: str = ""  # what the check checks, in one line
    swap: tuple[str, ...] = ()  # names replaced by the reference's, so only the target is graded


@dataclass(frozen=True)
class Item:
    """One (check, case) pair: the unit that scores points."""

    exercise: str
    index: int
    check: Check
    case: Case

    @property
    def name(self) -> str:
        return f"{self.check.name} [{self.case.label}]" if self.case.label else self.check.name

    @property
    def hidden(self) -> bool:
        return self.case.hidden

    @property
    def params(self) -> dict:
        return {**self.check.params, **self.case.params}

    @property
    def points(self) -> float:
        return self.check.points


@dataclass(frozen=True)
class Exercise:
    """An exercise: a stub file in exercises/, its reference, and its checks."""

    id: str
    title: str
    lab: str
    teaches: str
    checks: tuple[Check, ...]
    imports: tuple[str, ...] = ()  # modules its checks use beyond torch and NumPy, loaded once in the fork template

    @property
    def filename(self) -> str:
        return f"{self.id}.py"

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(check.target for check in self.checks))

    def items(self, hidden: Mapping[str, tuple[Case, ...]] = MappingProxyType({})) -> tuple[Item, ...]:
        """Every graded item, public first, each check's ``hidden`` cases (by check name) after its public ones."""
        pairs = []
        for check in self.checks:
            pairs += [(check, case) for case in check.cases]
            pairs += [(check, case) for case in hidden.get(check.name, ())]
        return tuple(Item(self.id, i, check, case) for i, (check, case) in enumerate(pairs))


def load_hidden(folder: Path, exercise_id: str) -> Mapping[str, tuple[Case, ...]]:
    """Hidden cases of an exercise, by check name, from <folder>/<id>.json; none if there is no such file.

    Hidden cases are course data, read by the grading process only: they never enter the
    processes that run code, except one case's parameters in the child that runs that case.
    """
    path = Path(folder) / f"{exercise_id}.json"
    if not path.exists():
        return MappingProxyType({})
    table = json.loads(path.read_text(encoding="utf-8"))
    return MappingProxyType({
        name: tuple(Case(params, hidden=True, label=f"hidden {i}") for i, params in enumerate(cases, 1))
        for name, cases in table.items()
    })


def public(*param_sets: Mapping, label: Callable[[Mapping], str] | None = None) -> tuple[Case, ...]:
    """Public cases, labelled by ``label(params)`` when there are several."""
    return tuple(Case(p, label=label(p) if label else "") for p in param_sets)


def per_epoch(i: int, params: Mapping) -> str:
    return f"epoch {i}"


def per_iteration(i: int, params: Mapping) -> str:
    return f"iteration {i}"


def per_update(updates_per_epoch: Callable[[Mapping], int]) -> Callable[[int, Mapping], str]:
    """Names position i of a per-update history as an epoch and a batch within it."""

    def label(i: int, params: Mapping) -> str:
        n = updates_per_epoch(params)
        return f"epoch {i // n}, batch {i % n} (update {i})"

    return label
