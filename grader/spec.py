"""The vocabulary an exercise uses to declare its checks, as data.

An ``Exercise`` lists ``Check``s. A check names the function (or class) it grades,
how many points it is worth, the cases it runs, how to build the inputs of a case,
how to exercise the target (the probe) and which ``Output``s to compare with the
reference, within which tolerances. Each (check, case) pair is one graded ``Item``.

Builders and probes run only in the child process that runs student code; the
grading process reads names, points, tolerances and labels, never the code.
A spec is checked when it is loaded: a hint keyed to a pattern the engine does not
know, or naming a field the pattern does not give, fails at import.

A check may also declare its target's typical mistakes (``Mistake``: the reference's
behaviour with a mistake in it, from other parameters, other code, or its own outputs
recorded otherwise), which the grading process compares a failed answer with to name
its cause; and, for a training loop, how to redo one update from any state (``Replay``),
so that each update the student recorded can be checked from their own parameters.
"""
from __future__ import annotations

import importlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping

from .patterns import PATTERNS


class SpecError(ValueError):
    """An exercise's declaration is wrong (a course author's mistake, never a student's)."""


class Lazy:
    """A module imported on first use, so that the grading process never imports torch."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self._name), attr)


# Tolerance presets, for ``Output(..., **preset)``: how far a correct answer in another style may land.
FLOAT64 = MappingProxyType(dict(rtol=1e-6, atol=1e-9))  # NumPy float64 math: correct styles agree to ~1e-12
FLOAT32 = MappingProxyType(dict(rtol=1e-5, atol=1e-6))  # a few float32 operations (a forward pass, a loss)
FLOAT32_TRAINING = MappingProxyType(dict(rtol=1e-4, atol=1e-5))  # a float32 training run: rounding adds up
WHOLE = MappingProxyType(dict(rtol=0.0, atol=1e-6))  # whole numbers held as floats: indices, counts


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
    hints: Mapping[str, str] = field(default_factory=dict)  # pattern -> likely cause (see patterns.PATTERNS)

    def unit(self, n: int, params: Mapping) -> str:
        """What one entry of this history of ``n`` entries counts, when its names end in the entry's own number
        ("epoch 3", "update 7"); else "entry"."""
        found = re.search(r"(\w+) \d+\)?$", self.history(0, params)) if self.history else None
        unit = found.group(1) if found else ""
        ok = unit and all(re.search(rf"\b{unit} {i}\)?$", self.history(i, params)) for i in {1, n // 2, n - 1} if i > 0)
        return unit if ok else "entry"

    def __post_init__(self):
        for pattern, text in self.hints.items():
            if pattern not in PATTERNS:
                raise SpecError(f"output {self.name!r}: no hint pattern called {pattern!r}; "
                                f"the patterns are {', '.join(sorted(PATTERNS))}")
            try:
                text.format(**PATTERNS[pattern])
            except (KeyError, IndexError, ValueError) as exc:
                raise SpecError(f"output {self.name!r}: the hint for {pattern!r} uses a field the pattern does not "
                                f"give ({exc}); it gives {', '.join(PATTERNS[pattern]) or 'none'}") from None


@dataclass(frozen=True)
class Mistake:
    """A typical mistake, as a variant of the reference's behaviour: what the target gives when ``about`` says.

    It is the reference run with its code changed (``code``: the definitions in
    mistakes/<exercise>/<name>.py take the place of the reference's), on other parameters
    (``params``: the case's parameters -> those the mistake acts as if given), or both; or
    the reference's own outputs recorded otherwise (``outputs``: (outputs, parameters) ->
    the mistake's, computed in the grading process from plain data). ``params`` and
    ``outputs`` give None where the mistake cannot be told from a right answer on a case.
    Code-level mistakes are wrong solutions: they stay with the course, never in a release.
    """

    name: str  # unique in its exercise; a code-level mistake's file is mistakes/<exercise>/<name>.py
    about: str  # completes "what <target> gives ...", e.g. "when the gradients are not zeroed after each update"
    code: bool = False
    params: Callable[[Mapping], Mapping | None] | None = None
    outputs: Callable[[Mapping, Mapping], Mapping | None] | None = None
    explains: tuple[str, ...] = ()  # patterns whose hint names this mistake: not given once it is tried and fails

    @property
    def runs(self) -> bool:
        """Whether its outputs come from a run (of the reference or of its own code), not from the reference's."""
        return self.code or self.params is not None


@dataclass(frozen=True)
class Replay:
    """How to redo one update of a training loop from any state, with the reference's own code.

    The grading process sends states a student recorded (rows of ``history``, and the state after
    the last update, from ``final``) to a trusted child, which builds the case's arguments as the
    check does and calls ``update(target, args, state, rows, params)`` with the reference's
    ``target``: one update from ``state`` on the points ``rows`` (a slice) of the case's data,
    giving (the state after it, the loss it takes first). Which points an update takes comes from
    the history's layout: a ``Batches`` layout gives each update its batch, in order; any other,
    all the points. ``losses`` is recorded per ``loss_at``: "update" (each update's loss on its
    points, before it) or "epoch" (the loss on all the points at the start of each epoch).
    """

    target: str
    update: Callable[..., tuple]
    history: str
    final: tuple[str, ...]
    losses: str = ""
    loss_at: str = "update"


@dataclass(frozen=True)
class Case:
    """The parameters of one run of a check; hidden cases run only when an instructor grades."""

    params: Mapping[str, Any]
    hidden: bool = False
    label: str = ""
    scenario: int = 0  # a hidden case: the number of its scenario (items of one scenario share their inputs)


@dataclass(frozen=True)
class Check:
    """One graded behaviour of one target, run on each of its cases; named after its target unless ``name`` says."""

    target: str
    points: float
    build: Callable[[Mapping], tuple]  # case params -> positional arguments of the target
    probe: Callable[[Any, tuple, Mapping], dict]  # (target, args, params) -> raw outputs
    outputs: tuple[Output, ...]
    cases: tuple[Case, ...] = (Case({}),)
    params: Mapping[str, Any] = field(default_factory=dict)  # defaults that cases override
    about: str = ""  # what the check checks, in one line
    swap: tuple[str, ...] = ()  # names replaced by the reference's, so only the target is graded
    name: str = ""  # the target, unless one target has several checks
    mistakes: tuple[Mistake, ...] = ()  # its target's typical mistakes, most likely first
    replay: Replay | None = None  # for a training loop: how to check each recorded update from its own state

    def __post_init__(self):
        if not self.name:
            object.__setattr__(self, "name", self.target)
        names = [output.name for output in self.outputs]
        if len(set(names)) != len(names):
            raise SpecError(f"check {self.name!r}: two outputs share a name")
        mistakes = [mistake.name for mistake in self.mistakes]
        if len(set(mistakes)) != len(mistakes):
            raise SpecError(f"check {self.name!r}: two mistakes share a name")
        if self.replay:
            used = (self.replay.history, *self.replay.final, *([self.replay.losses] if self.replay.losses else []))
            unknown = [name for name in used if name not in names]
            if unknown or self.replay.loss_at not in ("update", "epoch"):
                raise SpecError(f"check {self.name!r}: its replay names no output {', '.join(unknown)} "
                                f"(or loss_at is not 'update' or 'epoch')")
        labels = [case.label for case in self.cases]
        if len(set(labels)) != len(labels):
            raise SpecError(f"check {self.name!r}: its cases need labels of their own")


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
    imports: tuple[str, ...] = ()  # modules beyond NumPy its code uses, loaded (and warmed) once in the fork template

    def __post_init__(self):
        names = [check.name for check in self.checks]
        if len(set(names)) != len(names):
            raise SpecError(f"exercise {self.id!r}: two checks share a name; give one a name= of its own")
        declared: dict[str, Mistake] = {}
        for check in self.checks:
            for mistake in check.mistakes:
                if declared.setdefault(mistake.name, mistake) != mistake:
                    raise SpecError(f"exercise {self.id!r}: two different mistakes are called {mistake.name!r}")

    @property
    def mistakes(self) -> tuple[Mistake, ...]:
        """Every mistake its checks declare, once each."""
        return tuple({m.name: m for check in self.checks for m in check.mistakes}.values())

    @property
    def runnable(self) -> tuple[Check, ...]:
        """What a child may run: the checks, and each training loop's replay (named "<check> replay")."""
        from .probes import replayed  # the child's side: NumPy

        return self.checks + tuple(
            Check(check.replay.target, 0.0, name=f"{check.name} replay", build=check.build,
                  probe=replayed(check.replay.update), outputs=(Output("next"), Output("loss")))
            for check in self.checks if check.replay)

    @property
    def filename(self) -> str:
        return f"{self.id}.py"

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(check.target for check in self.checks))

    def items(self, hidden: Mapping[str, tuple[Case, ...]] = MappingProxyType({})) -> tuple[Item, ...]:
        """Every graded item, public first, each check's ``hidden`` cases (by check name) after its public ones."""
        unknown = set(hidden) - {check.name for check in self.checks}
        if unknown:
            raise SpecError(f"exercise {self.id!r}: hidden cases for no check: {', '.join(sorted(unknown))}")
        pairs = []
        for check in self.checks:
            pairs += [(check, case) for case in check.cases]
            pairs += [(check, case) for case in hidden.get(check.name, ())]
        return tuple(Item(self.id, i, check, case) for i, (check, case) in enumerate(pairs))


def load_hidden(folder: Path, exercise_id: str) -> Mapping[str, tuple[Case, ...]]:
    """Hidden cases of an exercise, by check name, from <folder>/<id>.json; none if there is no such file.

    The file lists scenarios: ``{"params": {...}, "checks": [...]}``, parameters that override
    each listed check's own (every check of the exercise when ``checks`` is left out). A
    check's hidden cases are the scenarios that list it, labelled "hidden 1", "hidden 2", ...
    Hidden cases are course data, read by the grading process only: they never enter the
    processes that run code, except one scenario's parameters in the child that runs the
    items of that scenario.
    """
    path = Path(folder) / f"{exercise_id}.json"
    if not path.exists():
        return MappingProxyType({})
    scenarios = json.loads(path.read_text(encoding="utf-8"))
    from .specs import exercise

    names = [check.name for check in exercise(exercise_id).checks]
    cases: dict[str, list[Case]] = {}
    for number, scenario in enumerate(scenarios, 1):
        for name in scenario.get("checks", names):
            if name not in names:
                raise ValueError(f"{path}: scenario {number} names no check of {exercise_id}: {name!r}")
            found = cases.setdefault(name, [])
            found.append(Case(scenario["params"], hidden=True, label=f"hidden {len(found) + 1}", scenario=number))
    return MappingProxyType({name: tuple(found) for name, found in cases.items()})


def public(*param_sets: Mapping, label: Callable[[Mapping], str] | None = None) -> tuple[Case, ...]:
    """Public cases, labelled by ``label(params)`` when there are several."""
    return tuple(Case(p, label=label(p) if label else "") for p in param_sets)


def settings(*names: str) -> Callable[[Mapping], str]:
    """A case label from some of its parameters, e.g. settings("lr", "batch_size") -> 'lr=0.05, batch_size=25'."""
    return lambda p: ", ".join(f"{name}={p[name]}" for name in names if name in p)


# Histories: how position i is named in messages, and what a wrong number of entries may mean.

def per_epoch(i: int, params: Mapping) -> str:
    return f"epoch {i}"


def per_iteration(i: int, params: Mapping) -> str:
    return f"iteration {i}"


@dataclass(frozen=True)
class Batches:
    """A history with one entry per batch: each epoch's points in batches of ``batch_size``, the last one smaller.

    Names position i as an epoch and a batch within it ("epoch 1, batch 2 (update 5)"), or as a
    batch alone when ``epochs`` is False, and tells what a wrong count of entries matches. A count
    can mean fewer epochs or fewer batches per epoch (2 x 3 = 3 x 2): entries that agree as far as both
    go mean other epochs; ``epochs_from`` names an output with one entry per epoch, whose length
    tells; else the hint names both.
    """

    points: Callable[[Mapping], int]  # how many points an epoch goes through
    batch_size: Callable[[Mapping], int]
    epochs: bool = True
    epochs_from: str = ""

    def per_epoch(self, params: Mapping) -> int:
        return math.ceil(self.points(params) / self.batch_size(params))

    def __call__(self, i: int, params: Mapping) -> str:
        if not self.epochs:
            return f"batch {i}"
        n = self.per_epoch(params)
        return f"epoch {i // n}, batch {i % n} (update {i})"

    def counts(self, got: int, expected: int, params: Mapping, lengths: Mapping[str, int], agree: bool
               ) -> Iterator[tuple[str, dict]]:
        """The patterns a count of ``got`` entries matches, ``expected`` being right. ``lengths`` are the
        lengths of the check's other outputs, as the student's code gave them; ``agree`` whether the
        entries both sides have agree (then each epoch ran right, and there were more or fewer)."""
        points, size, per = self.points(params), self.batch_size(params), self.per_epoch(params)
        if not self.epochs:
            if points % size and got == points // size:
                yield "partial_batch", self._partial(got, expected, points, size)
            return
        epochs = expected // per
        ran = lengths.get(self.epochs_from) if self.epochs_from else None
        if ran is not None and ran != epochs:
            yield "epochs", {"got": ran, "expected": epochs}
            return
        other_epochs = got % per == 0 and ran is None
        other_batches = got % epochs == 0 and 1 <= got // epochs <= points
        if other_epochs and agree:
            yield "epochs", {"got": got // per, "expected": epochs}
        elif points % size and got == epochs * (points // size):
            yield "partial_batch", self._partial(got, expected, points, size)
        elif other_epochs and other_batches:
            yield "epochs_or_batches", {"got": got, "expected": expected, "epochs_got": got // per, "epochs": epochs,
                                        "batches_got": got // epochs, "batches": per}
        elif other_epochs:
            yield "epochs", {"got": got // per, "expected": epochs}
        elif other_batches:
            yield "batches_per_epoch", {"got": got // epochs, "expected": per, "epochs": epochs}

    @staticmethod
    def _partial(got, expected, points, size) -> dict:
        return {"got": got, "expected": expected, "per_epoch": points // size, "batches": -(-points // size),
                "points": points, "batch_size": size, "last": points % size}
