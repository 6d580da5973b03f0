"""The patterns a difference can show (diagnose.py finds them), by name, with sample values of their fields.

A spec's hints are keyed by these names and checked against them when the spec loads;
this table needs nothing but Python, so that loading a spec loads no NumPy.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

# Every pattern, most telling first (when outputs of one check show several, the first in this order is
# the hint shown), with sample values of the fields its hint may use.
PATTERNS: Mapping[str, Mapping[str, object]] = MappingProxyType({
    "aliased": {"columns": "w, b", "value": "(1, 2)"},
    "partial_batch": {"got": 20, "expected": 30, "per_epoch": 2, "batches": 3, "points": 60, "batch_size": 25,
                      "last": 10},
    "epochs": {"got": 9, "expected": 10},
    "batches_per_epoch": {"got": 6, "expected": 3, "epochs": 10},
    "epochs_or_batches": {"got": 60, "expected": 30, "epochs_got": 20, "epochs": 10, "batches_got": 6, "batches": 3},
    "shifted": {},
    "swapped": {"first": "w", "second": "b"},
    "crossed": {"column": "w", "other": "b"},
    "drift": {},
    "opposite": {},
    "step_scaled": {"factor": 2.0},
    "frozen": {"column": "w"},
    "zero": {},
    "zero_column": {"column": "w"},
    "not_zero": {},
    "in_order": {},
    "permuted": {},
    "transposed": {},
    "flipped": {"axis": 0},
    "multiple": {"factor": 60},
    "scaled": {"factor": 2.0},
    "offset": {"offset": 1.0},
    "start": {"expected": "-15", "got": "0.5"},
    "first_differs": {},
    "length": {"got": 9, "expected": 10},
    "shape": {"got": "(30, 30)", "expected": "(12, 12)"},
    "rising": {},
    "any": {},
})
RANK = {name: i for i, name in enumerate(PATTERNS)}
