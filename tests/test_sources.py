"""Reading submissions: encodings, notebooks (test cells left out, magics neutralised)."""
import json

import pytest

from grader.sources import Unreadable, read


def test_utf8_with_bom_and_a_coding_cookie_read(tmp_path):
    (tmp_path / "a.py").write_bytes("\ufeffx = 'é'\n".encode("utf-8"))
    (tmp_path / "b.py").write_bytes("# -*- coding: latin-1 -*-\nx = 'é'\n".encode("latin-1"))
    assert read(tmp_path / "a.py").text == "x = 'é'\n"
    assert "x = 'é'" in read(tmp_path / "b.py").text


def test_utf16_with_a_bom_reads(tmp_path):
    (tmp_path / "a.py").write_bytes("x = 1\n".encode("utf-16"))
    assert read(tmp_path / "a.py").text == "x = 1\n"


def test_another_encoding_gets_a_clear_message(tmp_path):
    (tmp_path / "a.py").write_bytes("x = 1\ny = 'café'\n".encode("latin-1"))
    with pytest.raises(Unreadable, match=r"a.py is not UTF-8 text \(line 2\): save it as UTF-8"):
        read(tmp_path / "a.py")


def test_binary_is_not_a_text_file(tmp_path):
    (tmp_path / "a.py").write_bytes(b"\x00\x01\x02")
    with pytest.raises(Unreadable, match="not a text file"):
        read(tmp_path / "a.py")


def cell(source, **nbgrader):
    meta = {"nbgrader": nbgrader} if nbgrader else {}
    return {"cell_type": "code", "source": source, "metadata": meta, "outputs": [], "execution_count": None}


def test_a_notebook_gives_its_code_cells_without_test_cells(tmp_path):
    notebook = {"cells": [
        {"cell_type": "markdown", "source": "# Title", "metadata": {}},
        cell("import torch\n%matplotlib inline"),
        cell(["def f(x):\n", "    return 2 * x\n"], solution=True, grade=False),
        cell("assert f(1) == 2", grade=True, solution=False, points=1),
        cell("%%time\nf(3)"),
        cell("!pip install nothing\ny = f(4)"),
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "n.ipynb").write_text(json.dumps(notebook))
    source = read(tmp_path / "n.ipynb")
    namespace = {}
    exec(compile(source.text.replace("import torch", "pass"), "n", "exec"), namespace)
    assert namespace["y"] == 8 and "assert" not in source.text
    assert source.locate("line 5, in f") == "cell 3, line 2, in f"


def test_a_broken_notebook_is_unreadable(tmp_path):
    (tmp_path / "n.ipynb").write_text("{not json")
    with pytest.raises(Unreadable, match="not a valid notebook"):
        read(tmp_path / "n.ipynb")
