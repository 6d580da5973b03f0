"""Finding the course: --course, then $GDGRADER_COURSE, then the working directory upwards, then the
folder around the package; and a plain message that says where it looked when there is none."""
import pytest

from grader import paths


def course(folder, part="exercises"):
    (folder / part).mkdir(parents=True)
    (folder / part / "minibatch.py").write_text("")
    return folder


@pytest.fixture(autouse=True)
def no_course_named(monkeypatch):
    monkeypatch.delenv(paths.ENV, raising=False)


def test_the_first_course_from_the_working_directory_upwards(tmp_path):
    outer, inner = course(tmp_path / "outer"), course(tmp_path / "outer" / "deep" / "inner", "reference")
    (inner / "a" / "b").mkdir(parents=True)
    assert paths.find(start=inner / "a" / "b") == paths.Course(inner)
    assert paths.find(start=outer / "deep") == paths.Course(outer)
    assert paths.find(start=outer / "deep").has_reference is False and paths.Course(inner).has_reference


def test_named_courses_come_first_and_must_be_courses(tmp_path, monkeypatch):
    here, named, given = course(tmp_path / "here"), course(tmp_path / "named"), course(tmp_path / "given")
    monkeypatch.setenv(paths.ENV, str(named))
    assert paths.find(start=here) == paths.Course(named)
    assert paths.find(given, start=here) == paths.Course(given)
    (tmp_path / "empty").mkdir()
    with pytest.raises(paths.CourseNotFound, match="--course .*empty is not a course: it holds no exercises/"):
        paths.find(tmp_path / "empty", start=here)
    monkeypatch.setenv(paths.ENV, str(tmp_path / "nowhere"))
    with pytest.raises(paths.CourseNotFound, match=r"\$GDGRADER_COURSE .*nowhere: no such folder"):
        paths.find(start=here, required=False)


def test_a_folder_with_other_exercises_is_not_a_course(tmp_path):
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "homework3.py").write_text("")
    assert not paths.is_course(tmp_path)


def test_the_repository_is_the_course_of_its_own_package(tmp_path):
    assert paths.find(start=tmp_path) == paths.Course(paths.ROOT)  # no course above tmp_path


def test_no_course_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "ROOT", tmp_path / "site-packages")
    with pytest.raises(paths.CourseNotFound) as found:
        paths.find(start=tmp_path / "work")
    message = str(found.value)
    for where in ("--course (not given)", "$GDGRADER_COURSE (not set)", f"{tmp_path / 'work'} and every folder above",
                  str(tmp_path / "site-packages"), "pass --course DIR or set GDGRADER_COURSE=DIR"):
        assert where in message
    assert paths.find(start=tmp_path / "work", required=False) is None
