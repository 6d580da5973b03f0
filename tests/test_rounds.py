"""Which items run again with the reference's helpers: a written function whose helper failed, never a stub."""
import pytest

from grader import Grader, paths
from conftest import mutate


@pytest.fixture(scope="module")
def recorded():
    grader = Grader(hidden=False, exercises=["minibatch"])
    jobs = []
    run_all = grader.runner.run_all

    def record(batch, *args, **kwargs):
        jobs.extend(batch)
        return run_all(batch, *args, **kwargs)

    grader.runner.run_all = record
    yield grader, jobs
    grader.runner.close()


def grade(recorded, tmp_path, source: str):
    grader, jobs = recorded
    jobs.clear()
    (tmp_path / "minibatch.py").write_text(source, encoding="utf-8")
    report = grader.grade(tmp_path)
    swapped = {task.check for job in jobs if job.swap for task in job.tasks}
    return {c.name.split(" [")[0]: c.passed for c in report.exercises[0].checks}, swapped


def test_a_loop_written_over_a_failed_helper_runs_again_with_the_reference_helper(recorded, tmp_path):
    source = mutate("minibatch", ("    return w * X + b\n", "    raise NotImplementedError\n"))
    passed, swapped = grade(recorded, tmp_path, source)
    assert passed["forward"] is False and passed["train_minibatch"] is True
    assert "train_minibatch" in swapped


def test_an_untouched_stub_is_not_run_again(recorded, tmp_path):
    passed, swapped = grade(recorded, tmp_path, (paths.ROOT / "exercises" / "minibatch.py").read_text())
    assert not any(passed.values())
    assert swapped == set()  # its helpers failed too, but the stub would raise NotImplementedError all the same
