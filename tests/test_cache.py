"""The reference's results on disk: read back exactly, rebuilt when corrupted or stale, never trusted blindly;
and the fast seeding of the fork template gives the very same random streams as torch's own."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from grader import Grader, cache, paths

EXPECTED = """
import json, sys
from grader import Grader, paths
grader = Grader(course=paths.Course(__import__("pathlib").Path(sys.argv[1])))
grader.runner.close()
print(json.dumps({id: {name: reply.outputs for name, reply in table.items()} for id, table in grader.expected.items()}))
"""


def expected(grader: Grader) -> dict:
    return {id: {name: reply.outputs for name, reply in table.items()} for id, table in grader.expected.items()}


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GDGRADER_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def fresh(**kwargs) -> Grader:
    grader = Grader(exercises=("minibatch",), **kwargs)
    grader.runner.close()
    return grader


def test_outputs_read_back_from_the_cache_are_the_computed_ones(own_cache):
    computed = fresh()
    files = list(own_cache.glob("minibatch-*.json"))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    read = fresh()
    assert expected(read) == expected(computed)
    assert files[0].stat().st_mtime_ns == stamp, "read, not computed again"
    public = fresh(hidden=False)  # a self-check reads the same file
    assert expected(public) == {"minibatch": {k: v for k, v in expected(computed)["minibatch"].items()
                                              if "hidden" not in k}}


@pytest.mark.parametrize("damage", ["garbage", "a value changed", "an item missing", "another key"])
def test_a_corrupted_or_stale_cache_is_computed_again_never_trusted(own_cache, damage):
    right = expected(fresh())
    file = next(own_cache.glob("minibatch-*.json"))
    data = json.loads(file.read_text())
    if damage == "garbage":
        file.write_bytes(b"\x00{not json")
    elif damage == "a value changed":
        data["items"]["forward"]["y_hat"][0][0] += 1.0
        file.write_text(json.dumps(data))
    elif damage == "an item missing":
        del data["items"]["forward"]
        file.write_text(json.dumps(data))
    else:
        data["key"] = "0" * 64
        file.write_text(json.dumps(data))
    assert expected(fresh()) == right
    assert cache.load("minibatch", cache.key(paths.DEFAULT, "minibatch"))["forward"] == right["minibatch"]["forward"]


def test_a_changed_reference_is_a_new_key(own_cache, tmp_path):
    course = tmp_path / "course"
    for part in ("exercises", "reference", "hidden"):
        shutil.copytree(paths.ROOT / part, course / part)
    assert cache.key(paths.Course(course), "minibatch") == cache.key(paths.DEFAULT, "minibatch")
    reference = course / "reference" / "minibatch.py"
    reference.write_text(reference.read_text().replace("    return w * X + b\n", "    return X * w + b\n"))
    assert cache.key(paths.Course(course), "minibatch") != cache.key(paths.DEFAULT, "minibatch")


def test_the_torch_shortcuts_give_every_reference_output_bit_for_bit(tmp_path):
    """The fork template seeds torch's CPU generator directly and calls optimizers' methods without importing
    torch._dynamo; with torch as it comes (manual_seed also queueing seeding for accelerators this machine lacks,
    the first optimizer importing dynamo) every reference output is the same, to the last bit."""
    outputs = {}
    for how, env in (("fast", {}), ("torch's own", {"GDGRADER_PLAIN_TORCH": "1"})):
        done = subprocess.run([sys.executable, "-c", EXPECTED, str(paths.ROOT)], capture_output=True, text=True,
                              timeout=900, cwd=paths.ROOT,
                              env=dict(os.environ, GDGRADER_CACHE=str(tmp_path / how), **env))
        assert done.returncode == 0, done.stderr[-2000:]
        outputs[how] = done.stdout.splitlines()[-1]
    assert outputs["fast"] == outputs["torch's own"]
    assert len(json.loads(outputs["fast"])) == 6
