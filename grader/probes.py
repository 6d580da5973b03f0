"""Building blocks for probes: how a check exercises its target and reads the result.

Probes run in the child process, next to student code. They return raw values by
output name; the child turns those into plain data and the grading process
compares them. A value a probe cannot read is a ``Missing`` with the reason.
"""
from __future__ import annotations

from collections.abc import Mapping

from .plain import describe


class ProbeError(Exception):
    """The target's result cannot be read at all; the message says why, to the student."""


class Missing:
    """An output the probe could not get, with the reason."""

    def __init__(self, reason: str):
        self.reason = reason


def unpack(result, names: tuple[str, ...], what: str = "your function"):
    """Read ``result`` as the named outputs: a mapping by key, a tuple by position, or attributes."""
    if len(names) == 1:
        return {names[0]: result}
    if isinstance(result, Mapping):
        return {name: result[name] if name in result else Missing(f"no key '{name}' in the dict returned")
                for name in names}
    if isinstance(result, (tuple, list)):
        if len(result) != len(names):
            raise ProbeError(f"{what} returned {len(result)} values; expected {len(names)}: {', '.join(names)}")
        return dict(zip(names, result))
    if all(hasattr(type(result), name) or hasattr(result, name) for name in names):
        return {name: getattr(result, name) for name in names}
    raise ProbeError(f"{what} returned {describe(result)}; expected {', '.join(names)}")


def returns(*names: str):
    """A probe that calls the target with the built arguments and reads its result as ``names``."""

    def probe(target, args, params):
        return unpack(target(*args), names, f"{getattr(target, '__name__', 'your function')}()")

    return probe


def grad_of(tensor):
    """A tensor's gradient, with None (cleared) read as zero."""
    if tensor.grad is None:
        return 0.0
    return tensor.grad
