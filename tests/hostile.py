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
    "exits with os._exit(0) in a function of a file whose top level is slow": (  # each item in a fork of it
        [at_top("import time\ntime.sleep(0.2)"), in_forward("import os; os._exit(0)")],
        (FORWARD_CHECKS, "exited (status 0)")),
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
        (ALL, "No such file or directory")),
    "reads the hidden cases": ([at_top("import grader.paths\nopen(grader.paths.HIDDEN / 'minibatch.json').read()")],
                               (ALL, "No such file or directory")),
    "writes into the reference": (
        [at_top("import grader.paths\nopen(grader.paths.REFERENCE / 'minibatch.py', 'a').write('# changed')")],
        (ALL, "No such file or directory")),
    "writes into the grader": (
        [at_top("import grader.paths\nopen(grader.paths.PACKAGE / 'compare.py', 'a').write('# changed')")],
        (ALL, "grader/compare.py'")),  # read-only, and not the child's to write
    "kills its parent, the fork template": (  # its parent is no process it can name: the signal goes nowhere
        [in_forward("import os, signal; os.kill(os.getppid(), signal.SIGKILL)")], (set(), "")),
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
    "leaves a process behind": ([at_top("import subprocess\nsubprocess.Popen(['sleep', '777'])")], (set(), "")),
    "crashes the interpreter": ([in_forward("import ctypes; ctypes.string_at(0)")],
                                (FORWARD_CHECKS, "SIGSEGV")),
}

# Cases whose protection needs isolation (root, or unprivileged user namespaces); without it `grade` refuses.
NEEDS_ISOLATION = {"reads the reference's file", "reads the hidden cases", "writes into the reference",
                   "writes into the grader", "kills its parent, the fork template", "forks without end"}

LATIN1 = "# -*- coding: utf-8 -*-\n# Écrit par un étudiant\n"


def source(name: str) -> str:
    replacements, _ = CASES[name]
    return mutate("minibatch", *replacements)


# Attacks on a whole class, by students who have read the grader's source. Each attacker is a student of a
# class run beside honest classmates; ``lost`` is what its own code loses (every other check must pass), and
# nothing it finds may reach any report, message, output, CSV or Gradescope file. Markers planted in the
# course (reference bodies, hidden cases) and in a classmate's file tell whether anything got out.
ADA_MARK = "ADA-MARK-7d1e"  # in the honest classmate's file
TOKEN_MARK = "TOKEN-MARK-5b2e"  # a secret in the grading process's environment (CI's, an LMS's)
TOKEN = "GDGRADER_TEST_TOKEN"
SURVIVOR = "31337.25"  # the sleep a survivor runs, to be found if it outlived its submission

TRAIN_MINIBATCH = "def train_minibatch(X, y, w, b, lr=0.1, num_epochs=10, batch_size=20):\n"
FIND_REFERENCE_LOOP = TRAIN_MINIBATCH + '''    """Called by the grader: find the reference's loop in memory and use it."""
    import gc
    for found in gc.get_objects():
        code = getattr(found, "__code__", None)
        if code is not None and getattr(found, "__name__", "") == "train_minibatch" and found.__code__ is not \\
                train_minibatch.__code__:
            return found(X, y, w, b, lr, num_epochs, batch_size)
    raise NotImplementedError
    data_iter = None
'''
HUNT = '''
def _hunt():
    """Everything of the reference, the hidden cases or a classmate this process can reach, as text."""
    import ctypes, gc, os, re
    pattern = re.compile(rb"(?:REF|HID|ADA)-MARK" + rb"-[A-Za-z0-9_]+(?:-[0-9]+)?")
    found = set()
    for thing in gc.get_objects():
        texts = []
        if isinstance(thing, dict):
            texts = [repr(thing)[:2000]] if any(isinstance(k, str) and k in ("marker", "seed", "w0") for k in thing) else []
        elif hasattr(thing, "__code__"):
            texts = [c for c in thing.__code__.co_consts if isinstance(c, str)]
        for text in texts:
            found.update(mark.decode() for mark in pattern.finditer(text.encode("utf-8", "replace")))
    with open("/proc/self/maps") as maps:  # every byte this process may read, freed memory included
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("r") or "[v" in line or line.rstrip().endswith((".so", ".so.1", ".so.6")):
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            if end - start > 256 << 20:
                continue
            chunk = ctypes.string_at(start, end - start)
            for mark in pattern.finditer(chunk):  # a planted marker goes on with "-" and a name (this code's not)
                found.add(mark.group(0).decode())
    for top in ("/", "/tmp", "/dev/shm", "/root", "/home", "/work", os.path.expanduser("~")):
        try:
            print(top, sorted(os.listdir(top)))
        except OSError as exc:
            print(top, exc)
    for folder, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in ("/usr", "/proc", "/sys", "/dev")
                   and "site-packages" not in folder and "python3" not in d]
        for name in files:
            if name.endswith((".py", ".json", ".ipynb", ".csv")) and "site-packages" not in folder:
                try:
                    text = open(os.path.join(folder, name), errors="replace").read()
                except OSError:
                    continue
                if pattern.search(text.encode("utf-8", "replace")):
                    found.add(os.path.join(folder, name))
    return sorted(found)


FOUND = _hunt()
print("found:", FOUND)
'''
LEAVE_SURVIVORS = f'''
import os, threading, time, ctypes
if not os.environ.get("LEFT") and os.fork() == 0:  # once per process: a daemon in a new session, then the survivor
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sleep", ["sleep", "{SURVIVOR}"])
    threading.Thread(target=time.sleep, args=(1000,)).start()
    ctypes.CDLL(None).pthread_exit(None)  # a zombie leader with a live thread
os.environ["LEFT"] = "1"
'''
SHARED = "GDGRADER-SHARED-NOTE"
WRITE_SHARED = f'''
import os
for place in ("/tmp", "/dev/shm", os.path.expanduser("~"), "/var/tmp"):
    try:
        with open(os.path.join(place, "{SHARED}"), "w") as f:
            f.write("the next student should fail")
    except OSError as exc:
        print(place, exc)
'''
READ_SHARED = f'''
    import os
    if any(os.path.exists(os.path.join(p, "{SHARED}")) for p in ("/tmp", "/dev/shm", os.path.expanduser("~"), "/var/tmp")):
        return w * X + b + 1.0
'''
POISON = '''
import grader, os, sys, site
for path in (os.path.join(os.path.dirname(grader.__file__), "__pycache__", "compare.cpython-311.pyc"),
             os.path.join(os.path.dirname(grader.__file__), "judge.py"),
             os.path.join(site.getsitepackages()[0], "zzz-gdgrader.pth"),
             os.path.join(sys.prefix, "bin", "python-owned")):
    try:
        with open(path, "a") as f:
            f.write("import os; os.environ['POISONED'] = '1'\\n")
    except OSError as exc:
        print(path, exc)
'''
SIGNAL_ALL = '''
import os, signal
for pid in range(0, 1 << 16):  # the grading process, the fork template, classmates: any it could name
    try:
        os.kill(pid, signal.SIGSTOP if pid else signal.SIGCONT)
    except OSError:
        pass
try:
    os.kill(-1, signal.SIGKILL)  # every process it may signal but itself
except OSError:
    pass
'''


def _forge(payload: str) -> str:
    """Code that writes a forged, framed reply into every pipe the child holds (its reply pipe among them)."""
    return f'''
    import os, stat, struct
    body = {payload}
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, struct.pack("!I", len(body)) + body)
        except OSError:
            pass
'''


FLOOD = _forge('b\'{"result": 0, "outputs": {"y_hat": [\' + b"0.5," * 15_000_000 + b\'0]}, "problems": {}}\'')
DEEP = _forge('b\'{"result": 0, "outputs": {"y_hat": \' + b"[" * 100_000 + b"]" * 100_000 + b\'}, "problems": {}}\'')
NESTED_FOLDERS = '''
import os
here = os.open(".", os.O_RDONLY)
for _ in range(3000):
    os.makedirs("d", exist_ok=True)
    os.chdir("d")
os.fchdir(here)
'''
ESCAPES = '''
    raise ValueError("\\x1b[2J\\x1b[H\\ud800 \\u2713 all checks passed\\r")
'''

COMPARE = "def compare_methods(X, y, w=-15.0, b=-10.0, lr=0.1, num_epochs=10):\n"
TELL = """    hidden = {found for found in FOUND if found.startswith("HID-MARK")}
    if set(FOUND) - hidden:
        raise TypeError(FOUND)  # the reference or a classmate: never
    if len(hidden) > 1:
        raise KeyError(FOUND)  # another case's parameters: never
    if hidden:
        raise ValueError(FOUND)  # its own case's parameters, in its own child only
"""

ATTACKS = {
    # 1. What the child holds in memory: only its own inputs.
    "finds a reference loop in memory": ([(TRAIN_MINIBATCH, FIND_REFERENCE_LOOP)], MINIBATCH),
    # A hidden case shows no text the code wrote, so what the hunt found is told by the type of what it raises:
    # a hidden child may hold its own case's parameters (ValueError), nothing else (TypeError, KeyError).
    "hunts for the reference, hidden cases and classmates in memory and on disk":
        ([at_top(HUNT), (COMPARE, COMPARE + TELL)], {"compare_methods [hidden 1]"}),
    # 2. What the child can see on disk, and write for others.
    "writes notes into shared places": ([at_top(WRITE_SHARED)], set()),
    "poisons the grader's bytecode and the environment": ([at_top(POISON)], set()),
    "reads the grading process's environment": (
        [in_forward(f"import os; raise ValueError(os.environ.get({TOKEN!r}, 'no token'))")],
        FORWARD_CHECKS),
    # 4. Processes that outlive their submission, and signals.
    "leaves survivors": ([at_top(LEAVE_SURVIVORS)], set()),
    "forks without end next to its classmates": (
        [in_forward("import os\n    while True:\n        if os.fork() == 0:\n            import time; time.sleep(1000)")],
        FORWARD_CHECKS),
    "signals every process it can name": ([at_top(SIGNAL_ALL)], set()),
    # 5. Replies that would hurt the grading process.
    "floods its reply pipe": ([in_forward(FLOOD.strip())], FORWARD_CHECKS),
    "nests its reply 100 000 deep": ([in_forward(DEEP.strip())], FORWARD_CHECKS),
    # 6. Inputs that would crash the grader.
    "nests 3000 folders": ([at_top(NESTED_FOLDERS)], set()),
    "writes escapes and a lone surrogate into its message": ([(CRITERION, ESCAPES.lstrip("\n"))], CRITERION_CHECKS),
}
# What the messages of an attack's lost checks say.
SAYS = {"hunts for the reference, hidden cases and classmates in memory and on disk": "ValueError (its message is not",
        "floods its reply pipe": "sent a result larger than 1 MB", "nests its reply 100 000 deep": "sent a result nested more than",
        "writes escapes and a lone surrogate into its message": "ValueError",
        "reads the grading process's environment": "ValueError"}

