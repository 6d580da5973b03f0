"""Hint sets shared by exercises: for a pattern the engine recognises, the likely cause in the course's words.

An output's hints map a pattern (see ``patterns.PATTERNS``) to a sentence; these sets
cover what several exercises share (a loss history, a parameter history, one update,
a mean). A spec takes a set and adds or replaces entries: ``{**hints.MEAN, ...}``.
Where the pattern fits more than one cause, the sentence says "possibly", and the
evidence (a factor, a count, a value) is in it.
"""
from __future__ import annotations

MEAN = {
    "multiple": "{factor}x the expected value: possibly a sum where a mean is asked "
                "(the factor is then the number of points)",
}


def losses(unit: str = "epoch", moment: str = "before the update") -> dict[str, str]:
    """A history of losses, one per ``unit``, each recorded ``moment``."""
    return {
        "length": f"{{got}} losses recorded instead of {{expected}}: one per {unit}, num_{unit}s of them",
        "shifted": f"the loss looks recorded one update late: record it {moment}",
        "rising": "the loss grows instead of falling: do the updates go up the gradient, or overshoot?",
        "multiple": "every loss is {factor}x the expected one: possibly a sum where a mean is asked",
    }


def updates(params: str = "(w, b)", zeroing: str = "are the gradients zeroed after each update?") -> dict[str, str]:
    """A history of the parameters ``params`` recorded just before each update."""
    return {
        "aliased": f"every recorded {{columns}} is {{value}}, not the start: possibly the same tensor (or array) "
                   f"appended each time, so every entry shows its final value; record numbers (.item()) or copies",
        "shifted": f"the history looks one update late: record {params} just before each update",
        "frozen": "{column} never moves from its start: is it updated?",
        "drift": f"the first update matches but later ones do not: {zeroing}",
        "opposite": "the first update goes the wrong way: a sign error (gradient ascent)?",
        "step_scaled": "the first update is {factor:.4g}x the expected size: check the learning rate",
        "crossed": "{column} moved by what {other} should have: is {column} updated with {other}'s gradient?",
    }


BATCHES = {  # for a history with one entry per batch (spec.Batches); keep the ones that can apply
    "partial_batch": "{got} updates instead of {expected}: {per_epoch} per epoch, but {points} points in batches "
                     "of {batch_size} make {batches}, the last of {last} points: keep the last, smaller batch",
    "epochs": "{got} epochs of updates instead of {expected}: check the number of epochs",
    "batches_per_epoch": "{got} updates per epoch instead of {expected}: check the batch size",
    "epochs_or_batches": "{got} updates instead of {expected}: possibly {batches_got} per epoch instead of {batches} "
                         "(check the batch size), or {epochs_got} epochs instead of {epochs}",
}


def step(params: str = "w and b") -> dict[str, str]:
    """The change one update makes to ``params``."""
    return {
        "opposite": "the update goes up the gradient: subtract lr * gradient",
        "zero_column": "{column} does not change: is it updated?",
        "scaled": "{factor:.4g}x the expected change: check the learning rate",
        "crossed": "{column} changed by what {other} should: is {column} updated with {other}'s gradient?",
        "swapped": f"{{first}} and {{second}} changed by each other's step: are the gradients of {params} swapped?",
    }
