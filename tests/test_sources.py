"""Reading a submission file: encodings, notebooks cell by cell, and hostile files refused with one line."""
import json
import os
import signal
import socket
import stat

import pytest

from grader.sources import MAX_CODE, MAX_NOTEBOOK, Unreadable, defines, read


def test_utf8_with_bom_and_a_coding_cookie_read(tmp_path):
    (tmp_path / "a.py").write_bytes("\ufeffx = 'é'\n".encode("utf-8"))
    (tmp_path / "b.py").write_bytes("# -*- coding: latin-1 -*-\nx = 'é'\n".encode("latin-1"))
    assert read(tmp_path / "a.py").text == "x = 'é'\n"
    assert "x = 'é'" in read(tmp_path / "b.py").text


def test_utf16_with_a_bom_reads_and_newlines_are_pythons(tmp_path):
    (tmp_path / "a.py").write_bytes("x = 1\r\ny = 2\rz = 3\n".encode("utf-16"))
    assert read(tmp_path / "a.py").text == "x = 1\ny = 2\nz = 3\n"


def cell(source, **nbgrader):
    meta = {"nbgrader": nbgrader} if nbgrader else {}
    return {"cell_type": "code", "source": source, "metadata": meta, "outputs": [], "execution_count": None}


def notebook(*cells):
    return json.dumps({"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.mark.parametrize("name, data, says", [
    ("a.py", "x = 1\ny = 'café'\n".encode("latin-1"), "a.py is not UTF-8 text (line 2): save it as UTF-8"),
    ("a.py", b"\x00\x01\x02", "a.py is not a text file"),
    ("a.py", "x = 1\n".encode("utf-16") + b"\x00", "a.py is not UTF-16 text (line 2): save it as UTF-8"),
    ("a.py", b"\xff\xfe" + b"\x00\xd8" + "\n".encode("utf-16-le"), "a.py is not UTF-16 text (line 1)"),
    ("a.py", b"# coding: no-such-codec\nx = 1\n", "a.py declares an unknown encoding on line 1"),
    ("a.py", b"# coding: raw_unicode_escape\nx = '\\ud800'\n", "a.py holds a character that is not valid Unicode "
                                                                 "(line 2)"),
    ("a.py", b"x = 1\n" * (MAX_CODE // 6 + 1), "a.py is larger than 2 MB: submit your exercise alone"),
    ("n.ipynb", b"{not json", "n.ipynb is not a valid notebook (it does not read as Jupyter JSON: Expecting"),
    ("n.ipynb", b"[]", "n.ipynb is not a valid notebook: it has no list of cells"),
    ("n.ipynb", b'{"cells": {"0": {}}}', "n.ipynb is not a valid notebook: it has no list of cells"),
    ("n.ipynb", b'{"cells": [3]}', "n.ipynb is not a valid notebook: cell 1 is not a cell"),
    ("n.ipynb", notebook(cell("x = 1"), cell(7)).encode(), "n.ipynb is not a valid notebook: the source of cell 2 "
                                                            "is not text"),
    ("n.ipynb", notebook(cell(["x = 1\n", None])).encode(), "the source of cell 1 is not text"),
    ("n.ipynb", b'{"cells": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "n.ipynb is not a valid notebook: its JSON "
                                                                         "is nested too deeply"),
    ("n.ipynb", b'{"cells": [], "n": ' + b"1" * 100_000 + b"}", "n.ipynb is not a valid notebook (it does not read"),
    ("n.ipynb", notebook(cell("x = 1"), cell("y = '\ud800'")).encode(), "n.ipynb holds a character that is not "
                                                                        "valid Unicode (cell 2, line 1)"),
    ("n.ipynb", notebook(cell("x = 1\ny = '\x00'")).encode(), "n.ipynb holds a NUL character (cell 1, line 2)"),
    ("n.ipynb", b" " * (MAX_NOTEBOOK + 1), "n.ipynb is larger than 10 MB: clear its outputs and save it again"),
    ("n.ipynb", notebook(cell("x = 1\n" * (MAX_CODE // 6 + 1))).encode(), "n.ipynb holds more than 2 MB of code"),
], ids=lambda value: value if isinstance(value, str) and len(value) < 30 else "")
def test_a_file_that_cannot_be_read_decoded_or_parsed_gets_one_line(tmp_path, name, data, says):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(Unreadable) as refused:
        read(tmp_path / name)
    message = str(refused.value)
    assert says in message and "\n" not in message and len(message) < 200, message


@pytest.fixture
def no_hang():
    """Fail, instead of hanging the suite, if reading blocks (on a pipe, say)."""

    def hung(*_):
        raise AssertionError("reading blocked")

    signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    yield
    signal.alarm(0)


def test_links_pipes_sockets_devices_and_folders_are_refused_unopened(tmp_path, no_hang):
    (tmp_path / "real.py").write_text("x = 1\n")
    (tmp_path / "link.py").symlink_to(tmp_path / "real.py")
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "folder.py").mkdir()
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "socket.py"))
        refused = [("link.py", "a symbolic link, which the grader does not follow"),
                   ("pipe.py", "a named pipe, not a file the grader reads"), ("folder.py", "a folder"),
                   ("socket.py", "a socket")]
        try:
            os.mknod(tmp_path / "device.py", stat.S_IFCHR | 0o666, os.makedev(1, 5))  # /dev/zero: endless
            refused.append(("device.py", "a device"))
        except PermissionError:
            pass  # no right to make device files here
        for name, kind in refused:
            with pytest.raises(Unreadable, match=f"^{name} is {kind}"):
                read(tmp_path / name)
    assert read(tmp_path / "real.py").text == "x = 1\n"


def test_below_a_submission_folder_no_folder_link_is_followed(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "minibatch.ipynb").write_text(notebook(cell("x = 1")))
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / "minibatch").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(Unreadable, match=r"^minibatch/ is a symbolic link"):
        read(tmp_path / "ada" / "minibatch" / "minibatch.ipynb", tmp_path / "ada")
    assert read(tmp_path / "elsewhere" / "minibatch.ipynb", tmp_path).text == "x = 1\n\n"


def test_a_notebook_gives_its_code_cells_without_test_cells(tmp_path):
    (tmp_path / "n.ipynb").write_text(notebook(
        {"cell_type": "markdown", "source": "# Title", "metadata": {}},
        cell("import torch\n%matplotlib inline"),
        cell(["def f(x):\n", "    return 2 * x\n"], solution=True, grade=False),
        cell("assert f(1) == 2", grade=True, solution=False, points=1),
        cell("%%time\nf(3)"),
        cell("!pip install nothing\ny = f(4)"),
    ))
    source = read(tmp_path / "n.ipynb")
    namespace = {}
    exec(compile(source.text.replace("import torch", "pass"), "n", "exec"), namespace)
    assert namespace["y"] == 8 and "assert" not in source.text
    assert source.locate("line 5, in f") == "cell 3, line 2, in f"


def test_each_code_cell_is_a_chunk_that_compiles_on_its_own_with_the_texts_line_numbers(tmp_path):
    (tmp_path / "n.ipynb").write_text(notebook(
        cell("import math"),
        {"cell_type": "markdown", "source": "Write f.", "metadata": {}},
        cell("def f(x):\n    return 2 * x\n", solution=True, grade=False),
        cell("assert f(1) == 2", grade=True, solution=False, points=1),
        cell("print('trying things'"),
        cell("%time f(2)\ndef g(x):\n    raise ValueError(x)"),
    ))
    source = read(tmp_path / "n.ipynb")
    assert [(c.cell, c.line) for c in source.chunks] == [(1, 1), (3, 3), (5, 6), (6, 8)]
    assert [c.defines for c in source.chunks] == [(), ("f",), (), ("g",)]
    assert source.chunks[3].code == "pass\ndef g(x):\n    raise ValueError(x)"
    assert source.defining("g") is source.chunks[3] and source.defining("h") is None
    namespace = {}
    for chunk in source.chunks:
        try:
            exec(compile("\n" * (chunk.line - 1) + chunk.code, "n.ipynb", "exec"), namespace)
        except SyntaxError as error:
            assert source.locate(f"line {error.lineno}") == "cell 5, line 1"
    with pytest.raises(ValueError) as raised:
        namespace["g"](1)
    line = raised.traceback[-1].lineno + 1
    assert source.locate(f"line {line}") == "cell 6, line 3" and namespace["f"](2) == 4


def test_a_py_file_is_one_chunk(tmp_path):
    (tmp_path / "a.py").write_text("def f():\n    pass\n")
    source = read(tmp_path / "a.py")
    assert [(c.cell, c.code, c.line, c.defines) for c in source.chunks] == [(0, source.text, 1, ("f",))]
    assert source.locate("line 2") == "line 2"


@pytest.mark.parametrize("code, names", [
    ("def f(x):\n    def inner(): pass\nclass C:\n    def method(self): pass\nasync def g(): pass\n", ("f", "C", "g")),
    ('"""\ndef in_a_docstring(): pass\n"""\n# def in_a_comment(): pass\ndef real(): pass\n', ("real",)),
    ("x = 'it''s'  # don't\ndef after_quotes(): pass\n", ("after_quotes",)),
    ("x = f'{1}' + r'\\' + \"\\\"\"\ndef after_escapes(): pass\n", ("after_escapes",)),
    ("s = 'unclosed\ndef next_line(): pass\n", ("next_line",)),
    ("def broken(x:\n    retrun\nclass Half(\n", ("broken", "Half")),
    ('s = """never closed\ndef inside(): pass\n', ()),
    ("@decorator\ndef decorated(): pass\nif True:\n    def nested(): pass\n", ("decorated",)),
    ("def café(): pass\ndef f(): pass\ndef f(): pass\n", ("café", "f")),
])
def test_defines_finds_top_level_definitions_by_a_text_scan(code, names):
    assert defines(code) == names


@pytest.mark.parametrize("code", [
    '"' * 200_000, "'''" * 70_000, "\\" * 200_000, '"""' + "\\" * 200_000, "'" + "\\'" * 100_000,
    "(" * 200_000, "#" * 200_000, "def " * 50_000, "\n" * 200_000,
])
def test_defines_gets_through_pathological_text(code, no_hang):
    assert defines(code) == ()
