"""Typical mistakes shared by exercises, as variants of the reference's behaviour (see ``spec.Mistake``).

A spec lists its checks' mistakes with these, most likely first, and adds its own:

- ``code(name, about)``: the reference with the definitions of mistakes/<exercise>/<name>.py
  in place of its own (a step that does not zero the gradients, a sum for a mean, ...);
  ``explains`` names the patterns whose hint says this mistake ("drift": "are the gradients
  zeroed?"): when the mistake was tried on a case and the answer does not match it, those
  hints would name a cause the answer does not have, and are not given;
- ``setting(name, about, key, value)``: the reference given another value of one parameter
  (a learning rate written in, another batch size), where the case's differs;
- ``epochs(delta)``: one epoch (or iteration) more or fewer;
- ``late(history, final)``: a history recorded one update late, so its entries are the
  states after each update, the last being the final one;
- ``aliased(history, final)``: a history of one live tensor appended each time, every
  entry its final value.

Output-level variants (``late``, ``aliased``) are computed in the grading process from the
reference's outputs, as plain data; the others run in trusted children.
"""
from __future__ import annotations

from typing import Mapping

from .spec import Mistake


def code(name: str, about: str, explains: tuple[str, ...] = ()) -> Mistake:
    return Mistake(name, about, code=True, explains=explains)


def setting(name: str, about: str, key: str, value) -> Mistake:
    """The reference on the case with ``key`` set to ``value``; not applicable where the case has that value."""
    return Mistake(name, about, params=lambda p: {**p, key: value} if p.get(key) != value else None)


def epochs(delta: int, key: str = "num_epochs", unit: str = "epoch") -> Mistake:
    count = f"{abs(delta)} {unit}{'s' if abs(delta) != 1 else ''}"
    return Mistake(f"{key} {delta:+d}", f"with {count} {'more' if delta > 0 else 'fewer'} than {key}",
                   params=lambda p: {**p, key: p[key] + delta} if p[key] + delta > 0 else None)


def _recorded(name: str, about: str, history: str, final: tuple[str, ...], record) -> Mistake:
    """A mistake in how ``history`` is recorded: ``record(rows, last)`` gives its rows from the reference's rows
    and the final state (the outputs ``final``, as one row)."""

    def outputs(out: Mapping, p: Mapping):
        rows = out.get(history)
        if not isinstance(rows, list) or not rows:
            return None
        last = []
        for value in (out.get(part) for part in final):
            last += value if isinstance(value, list) else [value]
        return {**out, history: record(rows, last if isinstance(rows[0], list) else last[0])}

    return Mistake(name, about, outputs=outputs)


def late(history: str, final: tuple[str, ...], about: str = "when the parameters are recorded after each update "
                                                              "instead of before it") -> Mistake:
    return _recorded(f"{history} late", about, history, final, lambda rows, last: rows[1:] + [last])


def aliased(history: str, final: tuple[str, ...], about: str = "when the parameters are recorded as the live tensors "
                                                                 "(or arrays) themselves, so that every entry shows "
                                                                 "their final value") -> Mistake:
    return _recorded(f"{history} aliased", about, history, final, lambda rows, last: [last] * len(rows))
