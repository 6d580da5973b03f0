"""Turning what student code returns into plain data: numbers, nested lists, text.

Runs in the child process. Only known kinds are converted (tensors on any device
or requiring grad, NumPy arrays and scalars, Python numbers, lists and tuples of
those); anything else is refused with a short description, never trusted.
"""
from __future__ import annotations

import sys

MAX_ELEMENTS = 1_000_000


class Unconvertible(Exception):
    """The value is not made of numbers."""


def describe(value) -> str:
    """A short description of a value's type for messages, e.g. 'a str' or 'a Tensor of shape (3,)'."""
    kind = type(value).__name__
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    shape = getattr(type(value), "shape", None) and getattr(value, "shape", None)
    if isinstance(shape, tuple) or type(shape).__name__ == "Size":
        try:
            return f"{article} {kind} of shape {tuple(int(n) for n in shape)}"
        except Exception:
            pass
    return f"{article} {kind}"


def to_plain(value):
    """Nested lists of floats (or one float) for a numeric value; raises Unconvertible otherwise."""
    return _convert(value, depth=0, budget=[MAX_ELEMENTS])


def _convert(value, depth, budget):
    if depth > 8:
        raise Unconvertible("values nested too deeply")
    if type(value) is bool or type(value) is int or type(value) is float:
        return _number(float(value), budget)
    module = type(value).__module__ or ""
    if module.startswith("torch") and _is_tensor(value):
        return _count(_tensor_to_list(value), value.numel(), budget)
    if module.startswith("numpy"):
        return _numpy_to_list(value, budget)
    if type(value) in (list, tuple) or _is_named_tuple(value):
        return [_convert(v, depth + 1, budget) for v in value]
    raise Unconvertible(describe(value))


def _number(x: float, budget):
    budget[0] -= 1
    if budget[0] < 0:
        raise Unconvertible(f"more than {MAX_ELEMENTS} numbers")
    return x


def _count(plain, n, budget):
    budget[0] -= n
    if budget[0] < 0:
        raise Unconvertible(f"more than {MAX_ELEMENTS} numbers")
    return plain


def _is_tensor(value) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _tensor_to_list(t):
    torch = sys.modules["torch"]
    if t.is_complex():
        raise Unconvertible("a complex tensor")
    if t.numel() > MAX_ELEMENTS:
        raise Unconvertible(f"a tensor of {t.numel()} numbers")
    # A plain tensor, whatever its subclass, device, dtype or grad: its numbers only.
    return torch.Tensor.tolist(torch.Tensor.to(torch.Tensor.detach(t), "cpu", torch.float64))


def _numpy_to_list(value, budget):
    import numpy as np

    if isinstance(value, np.generic):
        value = np.asarray(value)
    if not isinstance(value, np.ndarray):
        raise Unconvertible(describe(value))
    if value.dtype.kind not in "biuf":
        raise Unconvertible(f"a NumPy array of {value.dtype}")
    if value.size > MAX_ELEMENTS:
        raise Unconvertible(f"an array of {value.size} numbers")
    return _count(np.asarray(value, dtype=np.float64).tolist(), value.size, budget)


def _is_named_tuple(value) -> bool:
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def text(value, limit: int = 200) -> str:
    """A label or title as plain text, cut to ``limit`` characters."""
    return str.__str__(value)[:limit] if isinstance(value, str) else ""
