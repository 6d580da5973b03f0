"""A corpus of hostile and broken submissions of the mini-batch exercise, with the outcome each must get.

Each case is the reference with one change. ``expect`` is (the checks that must fail,
a text their messages must hold); ALL means every check. Every other check must pass:
a submission loses only what it breaks, and gains nothing by attacking the grader.
"""
from conftest import mutate

FORWARD = "    return w * X + b\n"
CRITERION = "    return torch.mean((y_hat - y) ** 2)\n"
LOOP_START = "    data_iter = DataLoader(LinearData(X, y), batch_size=batch_size)\n"
ALL = "all"
FORWARD_CHECKS = {"forward", "forward [hidden 1]"}
CRITERION_CHECKS = {"criterion", "criterion [hidden 1]"}
MINIBATCH = {"train_minibatch [batch_size=5]", "train_minibatch [batch_size=10]", "train_minibatch [batch_size=20]",
             "train_minibatch [batch_size=25, lr=0.05]", "train_minibatch [hidden 1]", "train_minibatch [hidden 2]"}


def at_top(code: str) -> tuple[str, str]:
    """A change that runs when the file is loaded."""
    return ("from torch.utils.data import DataLoader, Dataset\n", f"from torch.utils.data import DataLoader, Dataset\n{code}\n")


def in_forward(code: str) -> tuple[str, str]:
    return (FORWARD, f"    {code}\n{FORWARD}")


CASES = {
    # Tampering: nothing a submission does raises its score.
    "patches torch and numpy comparisons": (
        [at_top("import numpy as np\ntorch.allclose = lambda *a, **k: True\ntorch.equal = lambda *a, **k: True\n"
                "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
                "np.testing.assert_allclose = lambda *a, **k: None"),
         (FORWARD, "    return w * X\n")],
        (FORWARD_CHECKS, "expected")),
    "exits with sys.exit(0) in a function": ([in_forward("import sys; sys.exit(0)")], (FORWARD_CHECKS, "SystemExit")),
    "exits with os._exit(0) in a function": ([(CRITERION, "    import os; os._exit(0)\n")],
                                              (CRITERION_CHECKS, "exited (status 0) before returning")),
    "exits with sys.exit(0) when loaded": ([at_top("import sys; sys.exit(0)")], (ALL, "SystemExit")),
    "raises a BaseException": ([(CRITERION, "    class Escape(BaseException):\n        pass\n    raise Escape()\n")],
                               (CRITERION_CHECKS, "your code raised Escape")),
    "prints and writes fake results": (
        [in_forward('print(\'{"score": 30, "max_score": 30, "passed": true}\'); '
                    'open("results.json", "w").write(\'{"score": 30}\')'),
         (FORWARD, "    return w * X\n")],
        (FORWARD_CHECKS, "y_hat: at index")),
    "writes forged replies into its pipes": (
        [in_forward("import os, stat, struct, json\n"
                    "    for fd in range(3, 64):\n"
                    "        try:\n"
                    "            if stat.S_ISFIFO(os.fstat(fd).st_mode):\n"
                    "                fake = json.dumps({'item': 0, 'outputs': {'y_hat': 0}, 'problems': {}}).encode()\n"
                    "                os.write(fd, struct.pack('!i', len(fake)) + fake)\n"
                    "        except OSError:\n"
                    "            pass"),
         (FORWARD, "    return w * X\n")],
        (FORWARD_CHECKS, "")),
    "returns an object that lies about equality and conversion": (
        [(FORWARD, "    class Liar:\n        __eq__ = lambda self, other: True\n        __float__ = lambda self: 1.0\n"
                   "        __array__ = lambda self, *a, **k: __import__('numpy').ones((60, 1))\n    return Liar()\n")],
        (FORWARD_CHECKS, "could not read it as numbers: got a Liar")),
    "returns NaN": ([(FORWARD, "    return torch.full_like(X, float('nan')) + w + b\n")],
                    (FORWARD_CHECKS, "got nan at index 0, 0")),
    "mutates its inputs": ([(LOOP_START, LOOP_START.replace("    data_iter", "    X.mul_(0)\n    y.mul_(0)\n    data_iter"))],
                           (MINIBATCH, "losses: at epoch 0")),
    "imports the reference solutions": ([at_top("from reference.minibatch import *")],
                                        (ALL, "importing the reference solutions is not allowed")),
    "reads the reference's file": (
        [at_top("import grader.paths\nexec(open(grader.paths.REFERENCE / 'minibatch.py').read())")],
        (ALL, "Permission denied")),
    "reads the hidden cases": ([at_top("import grader.paths\nopen(grader.paths.HIDDEN / 'minibatch.json').read()")],
                               (ALL, "Permission denied")),
    "writes into the reference": (
        [at_top("import grader.paths\nopen(grader.paths.REFERENCE / 'minibatch.py', 'a').write('# changed')")],
        (ALL, "Permission denied")),
    "writes into the grader": (
        [at_top("import grader.paths\nopen(grader.paths.PACKAGE / 'compare.py', 'a').write('# changed')")],
        (ALL, "Permission denied")),
    "kills the fork server": ([in_forward("import os, signal; os.kill(os.getppid(), signal.SIGKILL)")],
                              (FORWARD_CHECKS, "PermissionError")),
    # Broken: a clear, short message and 0 for what breaks.
    "syntax error": ([("def forward(X, w, b):", "def forward(X, w, b)")], (ALL, "syntax error at line")),
    "missing function": ([("def forward(X, w, b):", "def forward_pass(X, w, b):")],
                         (FORWARD_CHECKS, "your file defines no `forward`")),
    "wrong signature": ([("def forward(X, w, b):", "def forward(X, w):")],
                        (FORWARD_CHECKS, "the exercise defines it as forward(X, w, b)")),
    "wrong return type": ([(FORWARD, "    return 'w * X + b'\n")], (FORWARD_CHECKS, "got a str")),
    "wrong shape": ([(FORWARD, "    return (w * X + b).view(-1)\n")],
                    (FORWARD_CHECKS, "y_hat: expected shape (")),
    "import error": ([at_top("import no_such_module")], (ALL, "No module named 'no_such_module'")),
    # Limits: what hits one costs the checks it stopped, and the rest still run.
    "loops forever in a function": ([(CRITERION, "    while True:\n        pass\n")],
                                    (CRITERION_CHECKS, "time limit per check")),
    "loops forever when loaded": ([at_top("while True:\n    pass")], (ALL, "top-level code ran past the time limit")),
    "allocates too much memory": ([(CRITERION, "    junk = bytearray(4 * 2**30)\n" + CRITERION)],
                                  (CRITERION_CHECKS, "memory limit hit")),
    "allocates a huge tensor": ([(CRITERION, "    junk = torch.zeros(2**30)\n" + CRITERION)],
                                (CRITERION_CHECKS, "memory limit hit")),
    "prints without end": ([in_forward("while True:\n        print('x' * 1000)")], (FORWARD_CHECKS, "output limit hit")),
    "forks without end": ([in_forward("import os\n    while True:\n        if os.fork() == 0:\n"
                                      "            import time; time.sleep(1000)")],
                          (FORWARD_CHECKS, "Resource temporarily unavailable")),
    "leaves a process behind": ([in_forward("import subprocess; subprocess.Popen(['sleep', '777'])")], (set(), "")),
    "crashes the interpreter": ([in_forward("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")],
                                (FORWARD_CHECKS, "SIGSEGV")),
}

# Cases whose protection needs a grader running as root (a user of its own for the child, the project
# read-only, the reference and hidden cases out of sight). Without root, reads succeed and writes are
# caught and undone (see test_without_isolation_...); the README says so.
NEEDS_ROOT = {"reads the reference's file", "reads the hidden cases", "writes into the reference",
              "writes into the grader", "kills the fork server", "forks without end"}

LATIN1 = "# -*- coding: utf-8 -*-\n# Écrit par un étudiant\n"


def source(name: str) -> str:
    replacements, _ = CASES[name]
    return mutate("minibatch", *replacements)
