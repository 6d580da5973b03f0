"""The grading process's side of isolation: what it loads, and what reaches a child."""
import json
import subprocess
import sys

from conftest import mutate
from grader import paths

WHAT_LOADED = """
import json, sys
from grader import Grader
grader = Grader(exercises=("minibatch", "seeing"))
report = grader.grade(sys.argv[1])
grader.runner.close()
print(json.dumps({"score": report.score, "loaded": sorted(m for m in sys.modules if m.split(".")[0] in
                                                           ("torch", "matplotlib"))}))
"""


def test_the_grading_process_never_loads_torch_or_matplotlib(tmp_path):
    """Scores are decided from plain data: even naming the positions of failed histories needs no torch."""
    (tmp_path / "minibatch.py").write_text(mutate("minibatch", ("    losses, params = [], []\n",
                                                                "    losses, params = [], []\n    lr = 0.01\n")))
    done = subprocess.run([sys.executable, "-c", WHAT_LOADED, str(tmp_path)], capture_output=True, text=True,
                          cwd=paths.ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert 0 < result["score"] < 30 and result["loaded"] == []
