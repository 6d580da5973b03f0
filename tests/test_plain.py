"""What student code returns becomes plain numbers, whatever its kind; anything else is refused."""
from typing import NamedTuple

import numpy as np
import pytest
import torch

from grader.plain import Unconvertible, to_plain


class Pair(NamedTuple):
    w: float
    b: float


@pytest.mark.parametrize("value, plain", [
    (1.5, 1.5),
    (3, 3.0),
    (np.float32(0.5), 0.5),
    (np.array([1, 2], dtype=np.int64), [1.0, 2.0]),
    (np.array([[0.25]], dtype=np.float32), [[0.25]]),
    (torch.tensor(2.0, requires_grad=True), 2.0),
    (torch.tensor([1.0, 2.0], dtype=torch.float64), [1.0, 2.0]),
    (torch.nn.Parameter(torch.tensor([0.5])), [0.5]),
    ([torch.tensor(1.0), np.float64(2.0), 3.0], [1.0, 2.0, 3.0]),
    ((torch.tensor(1.0), torch.tensor(2.0)), [1.0, 2.0]),
    (Pair(1.0, torch.tensor(2.0)), [1.0, 2.0]),
    (torch.tensor([[1.0]]).expand(2, 2), [[1.0, 1.0], [1.0, 1.0]]),
])
def test_numbers_of_every_kind_become_plain(value, plain):
    assert to_plain(value) == plain


class Liar:
    def __float__(self):
        return 1.0

    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value, says", [
    ("1.0", "a str"),
    ({"w": 1.0}, "a dict"),
    (Liar(), "a Liar"),
    (torch.tensor([1 + 1j]), "complex"),
    (np.array(["a"]), "NumPy array of <U1"),
    ([1.0, object()], "an object"),
])
def test_anything_else_is_refused_with_a_description(value, says):
    with pytest.raises(Unconvertible, match=says):
        to_plain(value)


def test_a_huge_value_is_refused():
    with pytest.raises(Unconvertible, match="numbers"):
        to_plain([torch.zeros(600_000), torch.zeros(600_000)])
