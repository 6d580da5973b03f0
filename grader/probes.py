"""Building blocks for probes: how a check exercises its target and reads the result.

Probes run in the child process, next to student code. They return raw values by
output name; the child turns those into plain data and the grading process
compares them. A value a probe cannot read is a ``Missing`` with the reason.

Reading is the same for every exercise: ``array`` (any numbers), ``number`` (one
number, whatever holds it), ``numbers`` (a history, one number per entry), ``column``
(the same as a column, for a history of one named parameter), ``vector`` (k numbers as
a row or a column); each gives back a ``Missing`` that says what came instead. ``explained``
calls a target and turns an error whose text holds a known clue into a message with
a hint.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .plain import Unconvertible, describe, to_plain

HINT = ". Hint: "  # between an error's text and its hint, in a ProbeError's message


class ProbeError(Exception):
    """The target's result cannot be read at all; the message says why, to the student."""


class Missing:
    """An output the probe could not get, with the reason, and the likely cause when the probe can tell."""

    def __init__(self, reason: str, hint: str = ""):
        self.reason = f"{reason.rstrip('.')}{HINT}{hint}" if hint else reason


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


def replayed(update):
    """The probe of a training loop's replay (see spec.Replay): one update from each given state.

    ``params["runs"]`` lists (state, start, stop): a state (a row of numbers) and the points the update
    takes (rows start:stop of the data; stop None: to the end). ``update(target, args, state, rows,
    params)`` makes the update with the reference's target (``args``: the case's arguments, as the check
    builds them) and gives (the state after it, the loss it takes first, or None for a loop that records
    none). Gives, for each run, "next" (that state) and "loss" (nan where there is none).
    """

    def probe(target, args, params):
        nexts, losses = [], []
        for state, start, stop in params["runs"]:
            after, loss = update(target, args, [float(v) for v in state], slice(start, stop), params)
            nexts.append([float(v) for v in np.asarray(to_plain(after), dtype=np.float64).reshape(-1)])
            losses.append(float("nan") if loss is None else
                          float(np.asarray(to_plain(loss), dtype=np.float64).reshape(())))
        return {"next": nexts, "loss": losses}

    return probe


# Reading values: the same rules for every exercise.

def array(value, what: str = "it") -> np.ndarray | Missing:
    """Any numeric value (numbers, arrays, tensors, lists of them) as a float array; else a Missing."""
    if isinstance(value, Missing):
        return value
    if value is None:
        return Missing(f"{what} is None: return it")
    try:
        return np.asarray(to_plain(value), dtype=np.float64)
    except Unconvertible as exc:
        return Missing(f"could not read {what} as numbers: got {exc}")
    except ValueError:
        return Missing(f"could not read {what} as numbers: its entries have different lengths")


def number(value, what: str = "it") -> float | Missing:
    """One number, from a float or any one-number array or tensor (shape (), (1,), (1, 1)); else a Missing."""
    values = array(value, what)
    if isinstance(values, Missing):
        return values
    if values.size != 1:
        return Missing(f"expected {what} as one number (a float, or an array of shape (1,)); "
                       f"got {values.size} numbers, shape {values.shape}")
    return float(values.reshape(()))


def numbers(value, what: str = "the history", per: str = "entry") -> np.ndarray | Missing:
    """A history as one number per entry: from a list of floats or one-number arrays or tensors, or a 1-D
    (or (n, 1)) array or tensor; else a Missing."""
    values = array(value, what)
    if isinstance(values, Missing):
        return values
    if values.ndim == 0:
        return Missing(f"expected {what} as a list with one number per {per}, got one number")
    if values.ndim > 1 and values.size != len(values):
        return Missing(f"expected {what} with one number per {per}; got entries of shape {values.shape[1:]}")
    return values.reshape(len(values))


def column(value, what: str = "the history", per: str = "entry") -> np.ndarray | Missing:
    """A history of one parameter, one number per entry, as a column (n, 1): give its Output columns=(name,)."""
    values = numbers(value, what, per)
    return values if isinstance(values, Missing) else values.reshape(-1, 1)


def vector(value, size: int, what: str = "it") -> np.ndarray | Missing:
    """``size`` numbers in a row, whether they came as shape (size,), (size, 1) or (1, size); else a Missing."""
    values = array(value, what)
    if isinstance(values, Missing):
        return values
    if values.size == size:
        return values.reshape(size)
    return Missing(f"expected {what} as {size} numbers, as shape ({size}, 1) or ({size},); got shape {values.shape}")


# Errors with a known cause.

def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (at most 300 characters); "" if it has none or will not say."""
    try:
        text = str(exc).strip()
    except Exception:
        return ""
    return text.splitlines()[0][:300] if text else ""


def explained(target, args, clues: Mapping[str, str]):
    """Call the target; an error whose text holds a clue comes back as a ProbeError with that clue's hint."""
    try:
        return target(*args)
    except Exception as exc:
        text = first_line(exc)
        for clue, hint in clues.items():
            if clue in text:
                message = f"{type(exc).__name__}: {text.rstrip('.')}{HINT}{hint}"
                raise ProbeError(message).with_traceback(exc.__traceback__) from None  # keeps the student's frames
        raise


def split_hint(message: str) -> tuple[str, str]:
    """A message and its hint, apart ('' when it has none)."""
    text, _, hint = message.partition(HINT)
    return text, hint
