"""The one protocol between the grading process and the children that run code.

Grading process -> child: one ``Job``, pickled into a pipe only that child reads: the
code to run, the items to run it on (a check's name and a case's parameters), the
reference definitions swapped in for this job, and the limits. It comes from the
trusted side, so the child may unpickle it.

Child -> grading process: framed JSON messages (a 4-byte length, then UTF-8 JSON). A
child may be run by hostile code, so the grading process reads each frame with caps on
its size and nesting depth before parsing it, then validates it into a ``Reply``: plain
numbers, lists and text, each text cleaned of control characters and cut to a bounded
length. Nothing a child sends is believed beyond its shape.

``KINDS`` is the one table of what can go wrong for an item, and what status it gives.
"""
from __future__ import annotations

import json
import os
import signal as _signal
import re
import struct
from dataclasses import dataclass, field
from typing import Any

from . import text as _text

HEADER = struct.Struct("!I")
MAX_MESSAGE = 1 << 20  # bytes in one message from a child
MAX_DEPTH = 24  # nesting of lists and objects in one message
MAX_TEXT = 2000  # characters of one text a child sends (a message, an output's label)
MAX_TRACE = 8  # frames of the student's own code kept from a traceback


@dataclass(frozen=True)
class Limits:
    """Per-child limits; a limit that is hit costs the items it stopped."""

    seconds_per_check: float = 10.0
    seconds_per_submission: float = 120.0
    memory_mb: int = 1024  # address space the child may add to what it starts with
    output_kb: int = 1024  # captured output, and any file the child writes
    processes: int = 32  # processes and threads the child's code may run

    def describe(self) -> str:
        return (f"{self.seconds_per_check:g} s per check, {self.seconds_per_submission:g} s per submission, "
                f"{self.memory_mb} MB of memory, {self.output_kb} KB of output")


# What the grading process sends.

@dataclass(frozen=True)
class Code:
    """One exercise's submitted code: compiled and run chunk by chunk (a notebook's cells), in order."""

    exercise: str
    filename: str  # as shown in tracebacks
    chunks: tuple[tuple[int, str, tuple[str, ...]], ...]  # (its first line in the file, its code, names it defines)


@dataclass(frozen=True)
class Task:
    """One graded item to run: a check of an exercise on one case's parameters."""

    key: int  # the item's number in its exercise, echoed back in the reply
    exercise: str
    check: str
    params: dict


@dataclass(frozen=True)
class Job:
    """Everything one child holds: its code, its items, the reference definitions swapped in, its limits."""

    codes: tuple[Code, ...]
    tasks: tuple[Task, ...]
    limits: Limits = field(default_factory=Limits)
    helpers: dict = field(default_factory=dict)  # exercise -> reference source holding only the definitions to swap in
    swap: dict = field(default_factory=dict)  # exercise -> the names to take from ``helpers``
    trace: tuple[str, ...] = ()  # helper names whose calls to record (a self-check with the student's own helpers)
    uid: int | None = None  # as root: the user the child becomes


# What can go wrong for one item: the status it gives, and which of the child's other items it stops.

@dataclass(frozen=True)
class Kind:
    status: str  # the CheckResult status
    stops: str = "item"  # "item": only this one; "exercise": every item of its exercise in this child


KINDS = {
    "not attempted": Kind("not attempted"),  # the function raises NotImplementedError: an untouched stub
    "missing": Kind("failed"),  # the file defines no such function
    "signature": Kind("error"),  # it cannot take the arguments the exercise gives it
    "return": Kind("failed"),  # what it returned cannot be read as the outputs
    "exception": Kind("error"),  # it raised
    "exit": Kind("error"),  # it raised SystemExit or another BaseException, or the process exited
    "syntax": Kind("error", "exercise"),  # the file (or the cell holding the function) does not compile
    "load": Kind("error", "exercise"),  # the file's top-level code raised
    "import": Kind("error", "exercise"),  # the file imports something that is not there
    "refused": Kind("error", "exercise"),  # the file imports what it may not (the reference solutions)
    "limit": Kind("limit"),  # a time, memory, output or process limit stopped it
    "crash": Kind("error"),  # the process running it died
    "protocol": Kind("error"),  # the process running it sent something out of step or malformed
}


@dataclass(frozen=True)
class Failure:
    """What went wrong for an item, as structure: the grading process writes the words."""

    kind: str
    message: str = ""
    line: int = 0  # where in the submitted file (0: unknown)
    function: str = ""  # the innermost function of the student's own code
    exception: str = ""  # the type of the exception raised, if one was
    trace: tuple[tuple[int, str, str], ...] = ()  # the student's own frames: (line, function, code)

    @property
    def status(self) -> str:
        return KINDS[self.kind].status


@dataclass(frozen=True)
class Reply:
    """What came back for one item: outputs as plain data (with why some could not be read), or a Failure."""

    outputs: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)
    failure: Failure | None = None
    called: tuple[str, ...] = ()  # the traced helpers the item called


# Reading what a child sends.

class Malformed(Exception):
    """A message a child sent cannot be believed; the message says why."""


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def frame(message: dict) -> bytes:
    """A message as the child sends it."""
    data = json.dumps(message, allow_nan=True, separators=(",", ":")).encode()
    return HEADER.pack(len(data)) + data


def depth(raw: bytes) -> int:
    """How deeply lists and objects nest in a JSON text, without parsing it."""
    import numpy as np  # the grading process has it for comparing; loaded here only when a child replies

    brackets = np.frombuffer(_STRING.sub(b'""', raw).translate(None, _NOT_BRACKET), dtype=np.uint8)
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1)
    return int(np.cumsum(steps).max(initial=0))


def parse(raw: bytes) -> dict:
    """One framed message's body as a dict; raises Malformed for anything else."""
    if depth(raw) > MAX_DEPTH:
        raise Malformed(f"a result nested more than {MAX_DEPTH} levels deep")
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):
        raise Malformed("a result that does not read as JSON") from None
    if not isinstance(message, dict):
        raise Malformed("a result that is not a message")
    return message


def clean(text: Any, limit: int = MAX_TEXT) -> str:
    """Text a child sent, safe to print and to store (see text.clean), cut short."""
    if not isinstance(text, str):
        return ""
    text = _text.clean(text[: limit * 2])
    return text[:limit] + ("…" if len(text) > limit else "")


def plain(value: Any, level: int = 0) -> Any:
    """A value made of numbers, text, None and lists of them, cleaned; raises Malformed otherwise."""
    if value is None or type(value) in (bool, int, float):
        return value
    if type(value) is str:
        return clean(value, 500)
    if type(value) is list and level < MAX_DEPTH:
        return [plain(v, level + 1) for v in value]
    raise Malformed("a result that is not plain data")


def failure(data: Any) -> Failure:
    if not isinstance(data, dict) or data.get("kind") not in KINDS:
        raise Malformed("an error of no known kind")
    trace = data.get("trace", [])
    if not isinstance(trace, list):
        raise Malformed("a traceback that is not a list")
    frames = []
    for entry in trace[-MAX_TRACE:]:
        if not (isinstance(entry, list) and len(entry) == 3 and type(entry[0]) is int):
            raise Malformed("a traceback frame that is not (line, function, code)")
        frames.append((entry[0], clean(entry[1], 100), clean(entry[2], 200)))
    line = data.get("line", 0)
    return Failure(data["kind"], clean(data.get("message", "")), line if type(line) is int else 0,
                   clean(data.get("function", ""), 100), clean(data.get("exception", ""), 100), tuple(frames))


def reply(message: dict) -> Reply:
    """The Reply in a "result" message; raises Malformed."""
    if "failure" in message:
        return Reply(failure=failure(message["failure"]))
    outputs, problems, called = message.get("outputs"), message.get("problems"), message.get("called", [])
    if not isinstance(outputs, dict) or not isinstance(problems, dict) or not isinstance(called, list):
        raise Malformed("a result without outputs")
    return Reply(outputs={clean(k, 100): plain(v) for k, v in outputs.items()},
                 problems={clean(k, 100): clean(v, 500) for k, v in problems.items()},
                 called=tuple(clean(name, 100) for name in called))


def ended(status: int | None) -> Failure:
    """Why a process that runs code ended before it returned a result, from its wait status (None: unknown)."""
    if status is None or os.WIFSIGNALED(status):
        number = os.WTERMSIG(status) if status is not None else None
        name = _signal.Signals(number).name if number in set(_signal.Signals) else f"signal {number or '?'}"
        causes = {"SIGXCPU": "the CPU time limit", "SIGKILL": "a limit (memory?)", "SIGSEGV": "a crash"}
        return Failure("crash", f"the process running the code was ended by {name} ({causes.get(name, 'a signal')})")
    code = os.waitstatus_to_exitcode(status)
    return Failure("exit", f"the process running the code exited (status {code}) before returning a result: "
                           "a function must return, not exit")
