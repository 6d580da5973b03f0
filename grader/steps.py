"""Checking a training loop's recorded updates one by one, each from the student's own state.

Once a loop's histories have drifted apart from the reference's, comparing them says
little about where the mistake is. Here each update the student recorded is redone
from the state they recorded before it (``spec.Replay``: the reference's own loop, in a
trusted child, on the batch that update takes), and compared with the state they
recorded next. That finds the first update that is wrong even late in a run, tells a
wrong update from wrong bookkeeping (every update right, the loss recorded after it),
and, when an update is right on another batch of its epoch, batches taken in another order.

``replay`` is a dialogue: it yields the runs it needs (state, first point, last point),
receives each run's (next state, loss), and returns the sentence for the message
("" when it has nothing to say). The grading process (``reruns``) runs every failed
loop's requests of one round in one child.
"""
from __future__ import annotations

from typing import Generator, Mapping

import numpy as np

from .compare import as_array, fmt
from .protocol import Reply
from .spec import Batches, Item, Output

FIRST_RUNS = 16  # updates replayed in the first round; the rest only if these are all right
MAX_ORDER_RUNS = 4096  # runs spent looking for the batch each update of an epoch took

Run = tuple  # (state: list of numbers, start: int, stop: int | None)


def replay(item: Item, expected: Reply, got: Reply) -> Generator[list[Run], list[tuple[list, float]], str]:
    """The dialogue for one failed item of a check with a replay; see the module's docstring."""
    how = item.check.replay
    outputs = {output.name: output for output in item.check.outputs}
    history = outputs[how.history]
    states = _rows(got.outputs.get(how.history))
    start = _rows(expected.outputs.get(how.history))
    final = _final(got.outputs, how.final)
    if states is None or start is None or len(states) < 2 or states.shape[1:] != start.shape[1:] or \
            not _close(history, states[0], start[0]):
        return ""  # nothing recorded to replay, or records that do not start where the loop starts
    layout, params = history.history, item.params
    after = np.vstack([states, final]) if final is not None and final.shape == states.shape[1:] else states
    n = len(states)
    runs = [(states[t], *_points(layout, params, t)) for t in range(n)]
    loss = outputs.get(how.losses)
    recorded = as_array(got.outputs.get(how.losses)) if loss is not None else None
    before_at, after_at = _loss_runs(how.loss_at, layout, params, recorded, len(after), n)
    losses = [(after[i], *points) for i, points in before_at + after_at]
    head = n if n <= FIRST_RUNS else FIRST_RUNS  # a mistake most often shows in the first updates: those first
    results = yield runs[:head] + (losses if head == n else [])
    wrong = _first_wrong_at(history, states, results, 0, head)
    if wrong is None and head < n:
        results = results[:head] + (yield runs[head:] + losses)
        wrong = _first_wrong_at(history, states, results, head, n)
    nexts = [np.asarray(r[0], dtype=np.float64) for r in results[:n]]
    name = _state_name(history)
    if wrong is None:
        extra = [r[1] for r in results[n:]]
        before = [results[t][1] for t in range(min(len(recorded), n))] if how.loss_at == "update" and \
            recorded is not None and recorded.ndim == 1 else extra[:len(before_at)]
        return f"Step by step, from your own {name}: every update is right" + \
            _loss_clause(loss, recorded, before, extra[len(before_at):], params, name) + "."
    order = ""
    if isinstance(layout, Batches) and layout.per_epoch(params) > 1:
        order = yield from _order(history, layout, params, states, wrong)
    if order:
        return f"Step by step, from your own {name}: {order}."
    return f"Step by step, from your own {name}: " + _first_wrong(history, params, wrong, states, nexts)


def _first_wrong_at(history: Output, states: np.ndarray, results: list, start: int, stop: int) -> int | None:
    """The first update in [start, stop) whose replay does not give the state recorded after it."""
    return next((t for t in range(start, min(stop, len(states) - 1))
                 if not _close(history, states[t + 1], np.asarray(results[t][0], dtype=np.float64))), None)


def _rows(value) -> np.ndarray | None:
    """A history as rows of numbers (a history of numbers as one column); None if it is not one."""
    a = as_array(value) if isinstance(value, list) else None
    if a is None or a.ndim not in (1, 2) or not np.all(np.isfinite(a)):
        return None
    return a.reshape(len(a), -1)


def _final(outputs: Mapping, names: tuple[str, ...]) -> np.ndarray | None:
    parts = [as_array(outputs.get(name)) for name in names]
    if not names or any(p is None for p in parts):
        return None
    return np.concatenate([p.reshape(-1) for p in parts])


def _close(output: Output, got, expected) -> bool:
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return got.shape == expected.shape and bool(np.all(np.abs(got - expected) <= output.atol + output.rtol *
                                                       np.abs(expected)))


def _points(layout, params: Mapping, t: int, batch: int | None = None) -> tuple[int, int | None]:
    """The points update ``t`` takes (or, given, batch ``batch`` of its epoch): its batch, or all of them."""
    if not isinstance(layout, Batches):
        return 0, None
    size, per = layout.batch_size(params), layout.per_epoch(params)
    k = t % per if batch is None else batch
    return k * size, min((k + 1) * size, layout.points(params))


def _loss_runs(loss_at: str, layout, params, recorded, states: int, n: int) -> tuple[list, list]:
    """The runs that give the loss at the state before each recorded loss (those of the updates themselves, for
    losses recorded per update) and after it: [(state index, points)], among ``states`` states."""
    if recorded is None or recorded.ndim != 1:
        return [], []
    if loss_at == "update":
        return [], [(t + 1, _points(layout, params, t)) for t in range(min(len(recorded), n)) if t + 1 < states]
    per = layout.per_epoch(params) if isinstance(layout, Batches) else 1
    count = min(len(recorded), -(-n // per))
    return ([(e * per, (0, None)) for e in range(count)],
            [((e + 1) * per, (0, None)) for e in range(count) if (e + 1) * per < states])


def _loss_clause(output: Output | None, recorded, before: list, after: list, params, name: str) -> str:
    """What the losses are, given that every update is right: right, recorded after the update, or neither."""
    if output is None or not before:
        return ""
    if _close(output, recorded[:len(before)], before):
        return ", and so is every loss"
    if len(after) == len(before) and _close(output, recorded[:len(after)], after):
        return ", but each loss is recorded after its update, not before"
    i = next(i for i in range(len(before)) if not _close(output, recorded[i], before[i]))
    return (f", but the losses are not those of your own {name}: at {output.history(i, params)}, yours give "
            f"{fmt(before[i])}, you recorded {fmt(recorded[i])}")


def _order(history: Output, layout: Batches, params, states, wrong: int) -> Generator:
    """'every update of epoch e is right, ...' when each update of the first wrong one's epoch is right on a
    batch of its own other than the one in order; '' otherwise."""
    per = layout.per_epoch(params)
    epoch = wrong // per
    updates = [t for t in range(epoch * per, (epoch + 1) * per) if t + 1 < len(states)]
    if len(updates) * per > MAX_ORDER_RUNS:
        return ""
    took: dict[int, int] = {}
    for ask in ([wrong], [t for t in updates if t != wrong]):  # the rest only if the first wrong one fits
        results = yield [(states[t], *_points(layout, params, t, k)) for t in ask for k in range(per)]
        for i, t in enumerate(ask):
            fits = [k for k in range(per) if _close(history, states[t + 1], results[i * per + k][0])]
            if not fits:
                return ""
            took[t] = fits[0]
    if len(set(took.values())) != len(took):
        return ""
    return (f"every update of epoch {epoch} is right, but not on the batch in order: the batches come in another "
            f"order (in epoch {epoch}: {', '.join(str(took[t]) for t in updates[:8])}"
            f"{', ...' if len(updates) > 8 else ''})")


def _first_wrong(history: Output, params, t: int, states, nexts) -> str:
    where = history.history(t, params)
    evidence = (f"from {_state(history, states[t])} it gives {_state(history, nexts[t])}; you have "
                f"{_state(history, states[t + 1])}")
    if t == 0:
        return f"the first update, at {where}, is not right: {evidence}."
    right = f"the update at {history.history(0, params)} is" if t == 1 else \
        f"the updates up to {history.history(t - 1, params)} are"
    return f"{right} right; the one at {where} is not: {evidence}."


def _state_name(history: Output) -> str:
    return history.columns[0] if len(history.columns) == 1 else f"({', '.join(history.columns)})" \
        if history.columns else "parameters"


def _state(history: Output, row) -> str:
    values = [fmt(v) for v in np.asarray(row, dtype=np.float64).reshape(-1)]
    return values[0] if len(values) == 1 else f"({', '.join(values)})"
