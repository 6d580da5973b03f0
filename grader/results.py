"""Grading results: frozen data, rendered elsewhere (terminal, pytest, notebook, JSON)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Curve:
    """A history that left tolerance, kept to be plotted: expected and got, entry by entry."""

    output: str
    about: str
    expected: list  # one number, or one row of ``columns``, per entry
    got: list
    first: int  # the first entry out of tolerance (or missing)
    where: str = ""  # that entry in words, e.g. "epoch 1"
    columns: tuple[str, ...] = ()
    unit: str = "entry"  # what one entry is: "epoch", "update", ...


@dataclass(frozen=True)
class CheckResult:
    """One graded item."""

    name: str
    score: float
    max_score: float
    passed: bool
    hidden: bool
    message: str
    status: str = "passed"  # passed, failed, not attempted, not submitted, error, limit
    deviation: float = 0.0  # largest deviation relative to the tolerance (inf: not comparable)
    curves: tuple[Curve, ...] = field(default=(), repr=False, compare=False)  # for plots; not in the JSON


@dataclass(frozen=True)
class ExerciseResult:
    exercise: str
    title: str
    checks: tuple[CheckResult, ...]
    file: str = ""  # the file graded, or "" when it was not submitted
    output: str = ""  # what the code printed, cut short
    sandbox: dict = field(default_factory=dict)  # the protections in force

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self.checks), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_score for c in self.checks), 6)


@dataclass(frozen=True)
class Report:
    submission: str
    exercises: tuple[ExerciseResult, ...]
    warnings: tuple[str, ...] = ()

    @property
    def score(self) -> float:
        return round(sum(e.score for e in self.exercises), 6)

    @property
    def max_score(self) -> float:
        return round(sum(e.max_score for e in self.exercises), 6)

    def to_dict(self) -> dict:
        """The JSON report: submission, score, max_score, exercises[] with checks[]."""
        return {
            "submission": self.submission,
            "score": self.score,
            "max_score": self.max_score,
            "warnings": list(self.warnings),
            "exercises": [
                {
                    "exercise": e.exercise,
                    "title": e.title,
                    "file": e.file,
                    "score": e.score,
                    "max_score": e.max_score,
                    "sandbox": e.sandbox,
                    "output": e.output,
                    "checks": [_check_dict(c) for c in e.checks],
                }
                for e in self.exercises
            ],
        }


def _check_dict(c: CheckResult) -> dict:
    d = asdict(c)
    del d["curves"]
    d["deviation"] = c.deviation if c.deviation != float("inf") else None
    return d
