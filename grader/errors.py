"""The grader's own error: it cannot grade at all (a usage error, a broken course); never a student's fault."""


class GraderError(Exception):
    """The grader cannot grade at all (usage, or a broken course); never a student's fault."""
