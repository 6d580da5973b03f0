"""Which file is which exercise: names, nbgrader's layout, renamed files matched by what they define, links refused;
who is in a class folder."""
import json
import os
import shutil

import pytest

from grader import intake, paths, specs
from grader.assignments import notebook_path

IDS = list(specs.IDS)


def put(path, text="x = 1\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def reference(id):
    return (paths.REFERENCE / f"{id}.py").read_text()


def test_files_named_after_their_exercise_in_either_layout(tmp_path):
    put(tmp_path / "minibatch.py")
    put(tmp_path / "autograd.ipynb")
    shutil.copytree(notebook_path("features").parent, tmp_path / "features")  # nbgrader: <id>/<id>.ipynb
    put(tmp_path / "features" / "timestamp.txt", "2024-01-01")
    found = intake.layout(tmp_path, IDS)
    assert {id: path for id, path in found.items() if path} == {
        "minibatch": tmp_path / "minibatch.py", "autograd": tmp_path / "autograd.ipynb",
        "features": tmp_path / "features" / "features.ipynb"}
    assert found.warnings == () and found.refused == {}
    assert found.expected["seeing"] == "seeing/seeing.ipynb"  # they hand in nbgrader's layout: say it in that one


@pytest.mark.parametrize("files, expected", [
    (("minibatch.py",), "seeing.py"),
    (("minibatch.ipynb",), "seeing.ipynb"),
    (("minibatch/minibatch.ipynb",), "seeing/seeing.ipynb"),
    ((), "seeing.py"),
])
def test_a_missing_exercise_is_named_as_this_student_would_have_named_it(tmp_path, files, expected):
    for name in files:
        put(tmp_path / name)
    assert intake.layout(tmp_path, IDS).expected["seeing"] == expected


def test_files_an_lms_renamed_are_matched_by_what_they_define(tmp_path):
    put(tmp_path / "Minibatch (1).py", reference("minibatch"))
    put(tmp_path / "hw_autograd.py", (paths.EXERCISES / "autograd.py").read_text())  # the untouched stub, too
    shutil.copy(notebook_path("numpy_by_hand"), tmp_path / "numpy_by_hand-2.ipynb")
    put(tmp_path / "notes.py", "import numpy as np\nx = np.ones(3)\n")
    put(tmp_path / "features.py.txt")
    put(tmp_path / "mixed.py", "def train_autograd(): pass\ndef train_minibatch(): pass\n")
    found = intake.layout(tmp_path, IDS)
    assert {id: path.name for id, path in found.items() if path} == {
        "minibatch": "Minibatch (1).py", "autograd": "hw_autograd.py", "numpy_by_hand": "numpy_by_hand-2.ipynb"}
    assert set(found.warnings) == {
        "Minibatch (1).py was graded as minibatch, by the functions it defines (name it minibatch.py)",
        "hw_autograd.py was graded as autograd, by the functions it defines (name it autograd.py)",
        "numpy_by_hand-2.ipynb was graded as numpy_by_hand, by the functions it defines (name it numpy_by_hand.ipynb)",
        "notes.py was not graded: it matches no exercise by its name or by what it defines (name it after its "
        "exercise, e.g. numpy_by_hand.py)",
        "mixed.py was not graded: by what it defines it could be autograd or minibatch; name it after its exercise",
        "features.py.txt not graded: only .py and .ipynb files are"}
    assert found.read("minibatch").text == reference("minibatch")


def test_a_second_file_for_one_exercise_is_named_not_dropped(tmp_path):
    put(tmp_path / "minibatch.py", reference("minibatch"))
    put(tmp_path / "minibatch.ipynb")
    put(tmp_path / "minibatch_old.py", reference("minibatch"))
    put(tmp_path / "v1.py", reference("autograd"))
    put(tmp_path / "v2.py", reference("autograd"))
    found = intake.layout(tmp_path, IDS)
    assert found["minibatch"] == tmp_path / "minibatch.py" and found["autograd"] is None
    assert set(found.warnings) == {
        "minibatch.ipynb not graded: minibatch is graded from minibatch.py",
        "minibatch_old.py not graded: by what it defines it is minibatch, which is graded from minibatch.py",
        "v1.py, v2.py all look like autograd by what they define, so none was graded: keep one, named autograd.py "
        "or autograd.ipynb"}


def test_one_file_not_named_after_an_exercise(tmp_path):
    put(tmp_path / "hw.py", reference("pytorch_way"))
    found = intake.layout(tmp_path / "hw.py", IDS)
    assert dict(found) == {"pytorch_way": tmp_path / "hw.py"} and "graded as pytorch_way" in found.warnings[0]
    assert dict(intake.layout(tmp_path / "hw.py", IDS, exercise="minibatch")) == {"minibatch": tmp_path / "hw.py"}
    put(tmp_path / "notes.py")
    with pytest.raises(intake.NotASubmission, match="notes.py: no exercise called 'notes'"):
        intake.layout(tmp_path / "notes.py", IDS)
    with pytest.raises(intake.NotASubmission, match="no such file or folder"):
        intake.layout(tmp_path / "nothing", IDS)


def test_links_pipes_and_oversized_files_are_refused_by_lstat_and_never_read(tmp_path):
    put(tmp_path / "elsewhere" / "features.ipynb")
    ada = tmp_path / "ada"
    (ada / "minibatch.py").parent.mkdir()
    (ada / "minibatch.py").symlink_to(paths.REFERENCE / "minibatch.py")
    os.mkfifo(ada / "autograd.py")
    (ada / "features").symlink_to(tmp_path / "elsewhere")
    with open(ada / "seeing.py", "wb") as f:
        f.truncate(3 * 2**20)  # sparse: big on paper
    (ada / "hw.py").symlink_to(paths.REFERENCE / "pytorch_way.py")
    found = intake.layout(ada, IDS)
    assert all(path is None for path in found.values())
    assert found.refused == {
        "minibatch": "minibatch.py is a symbolic link, which the grader does not follow: submit the file itself",
        "autograd": "autograd.py is a named pipe, not a file the grader reads: submit the file itself",
        "features": "features/ is a symbolic link, which the grader does not follow: submit the folder itself",
        "seeing": "seeing.py is larger than 2 MB: submit your exercise alone"}
    assert found.warnings == ("hw.py is a symbolic link, which the grader does not follow: submit the file itself; "
                              "it was not graded",)


def test_a_link_standing_for_a_whole_submission_is_refused(tmp_path):
    (tmp_path / "ada").symlink_to(paths.REFERENCE)
    found = intake.layout(tmp_path / "ada", IDS)
    assert set(found.values()) == {None} and set(found.refused.values()) == {
        "ada is a symbolic link, which the grader does not follow: submit the files themselves"}
    (tmp_path / "ben.py").symlink_to(paths.REFERENCE / "minibatch.py")
    assert intake.layout(tmp_path / "ben.py", IDS, exercise="minibatch").refused["minibatch"].startswith(
        "ben.py is a symbolic link")


def test_a_folder_that_wraps_one_folder_of_files_is_graded_from_it(tmp_path):
    put(tmp_path / "ada" / "homework 1" / "minibatch.py")
    put(tmp_path / "ada" / "README.txt")
    found = intake.layout(tmp_path / "ada", IDS)
    assert found["minibatch"] == tmp_path / "ada" / "homework 1" / "minibatch.py"
    assert found.warnings == ("graded the files in homework 1/, the one folder in ada",)
    assert found.read("minibatch").text == "x = 1\n"


def test_a_class_folder_is_recognised_not_graded_as_one_empty_submission(tmp_path):
    for student in ("ada", "ben"):
        put(tmp_path / "class" / student / "minibatch.py")
    (tmp_path / "class" / "cy").mkdir()  # handed in nothing: still a student
    assert intake.student_folders(tmp_path / "class") == ["ada", "ben", "cy"]
    assert intake.student_folders(tmp_path / "class" / "ada") == []
    assert intake.layout(tmp_path / "class", IDS).warnings == (
        "class holds 3 student folders (ada, ben, cy), not one submission: grade them as a class with --out DIR",)
    nbgrader = tmp_path / "submitted"
    for student in ("ada", "ben"):
        put(nbgrader / student / "minibatch" / "minibatch.ipynb")
    assert intake.student_folders(nbgrader) == ["ada", "ben"]
    assert intake.student_folders(nbgrader / "ada") == []


def test_every_student_of_a_class_is_listed_once_even_when_two_entries_share_a_name(tmp_path):
    folder = tmp_path / "class"
    put(folder / "ada" / "minibatch.py")
    put(folder / "ada.py")
    put(folder / "Ada.ipynb")
    put(folder / "notes.txt")
    put(folder / ".hidden" / "minibatch.py")
    (folder / "ben").symlink_to(paths.REFERENCE)
    os.mkfifo(folder / "cy.py")
    put(folder / "\x1b[2J=HYPERLINK(1)" / "minibatch.py")
    (folder / "out").mkdir()
    found = intake.students(folder, out=folder / "out", single_files=True)
    assert found == {"ada": folder / "ada", "ada.py": folder / "ada.py", "Ada.ipynb": folder / "Ada.ipynb",
                     "ben": folder / "ben", "cy": folder / "cy.py", "=HYPERLINK(1)": folder / "\x1b[2J=HYPERLINK(1)"}
    with pytest.raises(intake.NotASubmission, match="a class folder of single files needs --exercise"):
        intake.students(folder)


def test_a_folder_of_many_entries_is_looked_at_up_to_a_bound(tmp_path):
    for i in range(intake.MAX_ENTRIES + 5):
        (tmp_path / f"f{i:05d}").mkdir()
    found = intake.layout(tmp_path, IDS)
    assert found.warnings == (f"{tmp_path.name} holds more than {intake.MAX_ENTRIES} entries: only "
                              f"{intake.MAX_ENTRIES} were looked at",)


def test_a_notebook_matched_by_content_is_read_once(tmp_path):
    notebook = json.loads(notebook_path("minibatch").read_text())
    put(tmp_path / "untitled.ipynb", json.dumps(notebook))
    found = intake.layout(tmp_path, IDS)
    source = found.read("minibatch")
    (tmp_path / "untitled.ipynb").unlink()  # what was matched is what is graded
    assert found.read("minibatch") is source and source.defining("train_minibatch") is not None
