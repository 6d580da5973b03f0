"""Naming a failed answer's cause by the known mistake whose outputs it matches.

Runs in the grading process on plain data. A check declares its target's typical
mistakes (``spec.Mistake``); each one's outputs on the failed item's case come from
``reruns`` (or, for a mistake in how outputs are recorded, from the reference's own).
The answer matches a mistake when every output that differs from the reference's is
within that output's tolerance of the mistake's, the same test a right answer passes
against the reference (outputs the mistake leaves right, or that the answer has right,
need not differ). The first match, in the order the check declares them, is named,
with the evidence: which outputs, and how close.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from .compare import as_array, compare, only_numbers
from .protocol import Reply
from .spec import Item, Mistake


@dataclass(frozen=True)
class Match:
    """The known mistake an answer matches (None: mistakes were tried, and none matches), with the evidence."""

    mistake: Mistake | None
    outputs: tuple[str, ...] = ()  # the outputs that differ from the reference's, and agree with the mistake's
    closeness: float | None = 0.0  # the largest difference among their values, relative to their size (None: no
    units: tuple[str, ...] = ()  # value was read, they failed the same way); what the histories among them count
    tried: tuple[str, ...] = ()  # with no match: the mistakes tried (those that apply on the case)

    def ruled_out(self, mistakes) -> set[str]:
        """The patterns whose hints name a mistake tried here that the answer does not match."""
        if self.mistake is not None:
            return set()
        return {pattern for m in mistakes if m.name in self.tried for pattern in m.explains}

    def line(self, target: str) -> str:
        """The message's line that names it, only for a match: "Known mistake: you get what <target> gives when
        ...: the same losses and params, to 3e-7 at every epoch and update"."""
        units = [unit for unit in self.units if unit != "entry"] or list(self.units)
        every = f" at every {' and '.join(units)}" if units else ""
        close = "" if self.closeness is None else ", exactly" if self.closeness == 0 else \
            f", to {_rounded_up(self.closeness)}"
        return (f"Known mistake: you get what {target} gives {self.mistake.about}: the same "
                f"{_listed(self.outputs)}{close}{every}.")


def match(item: Item, expected: Reply, got: Reply, mistakes: Mapping[str, Reply | None]) -> Match | None:
    """The first of the check's mistakes that explains the answer: every output that differs from the reference's
    (``expected``) agrees with that mistake's (``mistakes``: name -> its reply on the case, None where it does
    not apply), within tolerance, or could not be read for the same reason. A Match of no mistake when none
    does; None when none could be tried (no mistake applies, or the code failed)."""
    if got.failure or all(mistakes.get(m.name) is None for m in item.check.mistakes):
        return None
    differ = [o for o in item.check.outputs if not _agree(item, o, expected, got)]
    for mistake in item.check.mistakes:
        reply = mistakes.get(mistake.name)
        if reply is not None and differ and all(_agree(item, o, reply, got) for o in differ):
            compared = [o for o in differ if o.name in reply.outputs]
            return Match(mistake, tuple(o.name for o in differ),
                         max((_closeness(reply.outputs[o.name], got.outputs[o.name]) for o in compared), default=None),
                         tuple(dict.fromkeys(o.unit(len(reply.outputs[o.name]), item.params) for o in compared
                                             if o.history and isinstance(reply.outputs[o.name], list))))
    return Match(None, tried=tuple(m.name for m in item.check.mistakes if mistakes.get(m.name) is not None))


def _agree(item: Item, output, expected: Reply, got: Reply) -> bool:
    """Whether the answer's output agrees with ``expected``'s: within tolerance, or unread for the same reason."""
    name = output.name
    if name in got.problems or name in expected.problems:
        return got.problems.get(name) == expected.problems.get(name)
    if name not in expected.outputs or name not in got.outputs or not _finite(expected.outputs[name]):
        return False
    return compare(output, expected.outputs[name], got.outputs[name], params=item.params).passed


def _finite(value) -> bool:
    """Whether a value holds no inf or nan (a mistake whose run blew up matches nothing)."""
    if not only_numbers(value):
        return True
    values = as_array(value)
    return values is None or bool(np.all(np.isfinite(values)))


def _closeness(expected, got) -> float:
    if not (only_numbers(expected) and only_numbers(got)):
        return 0.0
    e, g = as_array(expected), as_array(got)
    if e is None or g is None or e.shape != g.shape or e.size == 0:
        return 0.0
    scale = float(np.abs(e).max())
    return float(np.abs(g - e).max()) / scale if scale > 0 else float(np.abs(g - e).max())


def _rounded_up(x: float) -> str:
    """A small number in one digit, rounded up: 2.3e-07 -> '3e-7'."""
    exponent = math.floor(math.log10(x))
    digit = math.ceil(round(x / 10 ** exponent, 9))
    if digit == 10:
        digit, exponent = 1, exponent + 1
    return f"{digit}e{exponent}" if exponent < -2 else f"{digit * 10 ** exponent:g}"


def _listed(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
