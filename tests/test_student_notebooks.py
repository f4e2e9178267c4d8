"""The Otter Assign masters: `otter assign` makes student versions free of solutions, and
those versions run in quick mode with their blanks filled, their public checks passing.

A solution line is any line inside a `# BEGIN SOLUTION` region of a master's source that
appears nowhere else in the master; none may be left in the student notebook. The blanks
(`...`) are filled with the solved notebook's cell, as a student who wrote the answers would.
"""

import importlib.util
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import jupytext
import nbformat
import pytest
from kernels import ROOT, execute, exercises_start, kernel_env, text

pytest.importorskip("otter", reason="otter-grader is the [instructor] extra")

NOTEBOOKS = ROOT / "notebooks"
# Per chapter: its graded questions, and what the student version may not name: the chapter's
# answer models (no getsource of them, no call) and the set's readings.
MASTERS = {
    "ch1_principles": {
        "questions": ["q1d", "q1e"],
        "forbidden": ["ch1.or_network", "ch1.xor_handbuilt", "_WEIGHTS", "ch1.text_"],
    },
    "ch2_inside": {
        "questions": ["q2c"],
        "forbidden": ["ch2.one_linear_layer", "ch2.text_", "collapsed_max_abs_diff"],
    },
    "ch3_depth_width": {
        "questions": ["q3b", "q3c", "q3d"],
        "forbidden": ["ch3.model_3", "ch3.text_", "Dense(334)", "Dense(150)"],
    },
    "ch4_cnn": {
        "questions": ["q4f"],
        "forbidden": ["ch4.chapter_cnn", "ch4.text_", "Dense(128)", "use_bias=False"],
    },
}
BEGIN, END = re.compile(r"#\s*BEGIN SOLUTION"), re.compile(r"#\s*END SOLUTION")
BLANK = re.compile(r"^\s*(\S.*=\s*)?\.\.\.\s*$", re.M)


def load_assign():
    spec = importlib.util.spec_from_file_location("assign", NOTEBOOKS / "assign.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def assigned(tmp_path_factory):
    """chapter -> what `otter assign` made for it (run once for the module)."""
    assign, out = load_assign(), tmp_path_factory.mktemp("assigned")
    return {chapter: assign.assign(chapter, out) for chapter in MASTERS}


def code(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def solution_lines(chapter: str) -> set[str]:
    """Lines only found inside the master's solution regions (long enough to mean something)."""
    inside, outside, solution = set(), set(), False
    for source in code(jupytext.read(NOTEBOOKS / f"{chapter}.py")):
        for line in source.splitlines():
            if BEGIN.search(line) or END.search(line):
                solution = bool(BEGIN.search(line))
                continue
            (inside if solution else outside).add(line.strip())
    return {line for line in inside - outside if len(line) > 15 and re.search("[a-z]", line)}


@pytest.mark.parametrize("chapter", MASTERS)
def test_student_notebook_holds_no_solution_and_keeps_the_checks(chapter, assigned):
    made = assigned[chapter]
    student = nbformat.read(made.student, as_version=4)
    body = "\n".join(c.source for c in student.cells)
    lines = solution_lines(chapter)
    assert len(lines) >= 5, "the master has solution regions"
    assert not lines & {line.strip() for line in body.splitlines()}
    assert not BEGIN.search(body) and not END.search(body)
    for name in MASTERS[chapter]["forbidden"]:
        assert name not in body, f"the student version names {name}"
    for question in MASTERS[chapter]["questions"]:
        assert f'grader.check("{question}")' in body  # the public checks run in the notebook
    exercises = body[body.index("## Exercises") :]
    assert len(BLANK.findall(exercises)) >= 3, "three exercises left for the student"
    assert student.metadata["otter"]["tests"], "the public tests travel in the notebook"


@pytest.mark.parametrize("chapter", MASTERS)
def test_autograder_zip_holds_every_question_with_its_hidden_tests(chapter, assigned):
    made = assigned[chapter]
    with zipfile.ZipFile(made.autograder_zip) as zf:
        names = zf.namelist()
        tests = {n: zf.read(n).decode() for n in names if n.startswith("tests/")}
        environment = zf.read("environment.yml").decode()
    assert {"run_autograder", "setup.sh", "environment.yml"} <= set(names)
    for question in MASTERS[chapter]["questions"]:
        source = tests[f"tests/{question}.py"]
        assert "'hidden': True" in source and "'hidden': False" in source
        assert "companion.check(" in source
    assert "companion[cpu]" in environment  # Gradescope's image gets the project and a backend
    student = nbformat.read(made.student, as_version=4)
    public = str(student.metadata["otter"]["tests"])
    assert "'hidden': True" not in public, "hidden tests stay out of the student's notebook"
    (grader,) = [c.source for c in student.cells if "grader" in c.metadata.get("tags", [])]
    assert "'hidden': True" not in grader and "'hidden': False" in grader
    for question in MASTERS[chapter]["questions"]:
        assert f"'name': '{question}'" in grader  # its public tests travel in the cell


def test_assign_names_the_masters_when_a_chapter_has_none(tmp_path):
    with pytest.raises(ValueError, match="masters: ch1_principles, ch2_inside, ch3_depth_width"):
        load_assign().assign("ch5_none", tmp_path)
    assert not list(tmp_path.iterdir())  # refused before writing anything


def filled(student, solved) -> tuple[nbformat.NotebookNode, int]:
    """The student notebook with each cell holding a blank replaced by the solved one's.

    Cells pair by id: the student version keeps the solved cells' ids, less the readings.
    """
    answers = {cell.id: cell for cell in solved.cells}
    fills = 0
    for cell in student.cells:
        if cell.cell_type == "code" and BLANK.search(cell.source):
            cell.source, fills = answers[cell.id].source, fills + 1
    return student, fills


def exercise_code(nb) -> list[str]:
    """The code cells from '## Exercises' on, without the solution markers."""
    cells = [c.source for c in nb.cells[exercises_start(nb) :] if c.cell_type == "code"]
    return [
        "\n".join(
            line for line in cell.splitlines() if not BEGIN.search(line) and not END.search(line)
        ).strip()
        for cell in cells
    ]


@pytest.mark.parametrize("chapter", MASTERS)
def test_the_filled_student_notebook_runs_the_masters_exercises(chapter, assigned):
    """test_notebooks.py runs a master up to its exercises: their cells run here."""
    made = assigned[chapter]
    student = nbformat.read(made.student, as_version=4)
    nb, _ = filled(student, nbformat.read(made.solved, as_version=4))
    master = exercise_code(jupytext.read(NOTEBOOKS / f"{chapter}.py"))
    assert len(master) >= 4 and exercise_code(nb) == master


# Run before the grader cell: otter and that cell then see Colab (otter reads its interpreter
# from the shell's name; the cell from sys.modules), where otter reads tests from files only.
AS_ON_COLAB = """\
import sys, types
import otter.check.utils
sys.modules.setdefault("google.colab", types.ModuleType("google.colab"))
otter.check.utils.IPythonInterpreter.COLAB.value.check_strs.append("ipykernel")
"""


def as_on_colab(nb) -> None:
    """Make `nb` pretend to run on Colab from its grader cell on."""
    (index,) = [i for i, c in enumerate(nb.cells) if "grader" in c.metadata.get("tags", [])]
    nb.cells.insert(index, nbformat.v4.new_code_cell(AS_ON_COLAB))


@pytest.mark.parametrize("chapter", MASTERS)
def test_student_notebook_runs_with_its_blanks_filled(chapter, assigned, tmp_path):
    """The student notebook alone, as on Colab: no tests folder, not even its own file."""
    made = assigned[chapter]
    student = nbformat.read(made.student, as_version=4)
    nb, fills = filled(student, nbformat.read(made.solved, as_version=4))
    assert fills >= 3 + len(MASTERS[chapter]["questions"])
    as_on_colab(nb)
    nb.cells.append(nbformat.v4.new_code_cell("print(tests_dir)"))
    execute(nb, tmp_path, timeout=600)
    assert not (tmp_path / "tests").exists()  # the tests went to a temporary folder of their own
    assert not Path(text(nb.cells[-1]).strip()).exists()  # removed as the kernel shut down
    checks = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("grader.check(")]
    assert len(checks) == len(MASTERS[chapter]["questions"])
    for cell in checks:
        shown = text(cell) + str([o.get("data", {}) for o in cell.outputs])
        assert "passed" in shown and "failed" not in shown.lower(), shown


def test_autograder_gives_a_filled_notebook_full_marks(assigned, tmp_path):
    """`otter run` with the autograder zip, as Gradescope runs it, on chapter 2 filled in."""
    made = assigned["ch2_inside"]
    student = nbformat.read(made.student, as_version=4)
    nb, _ = filled(student, nbformat.read(made.solved, as_version=4))
    # Submitted up to the question's check: later cells cannot change its grade, and the
    # test above runs them all (2D and the exercises: half of this test's time).
    (check,) = [i for i, c in enumerate(nb.cells) if c.source == 'grader.check("q2c")']
    nb.cells = nb.cells[: check + 1]
    submission, out = tmp_path / "ch2_inside.ipynb", tmp_path / "out"
    nbformat.write(nb, submission)
    out.mkdir()
    command = ["-m", "otter", "run", "-a", str(made.autograder_zip), "-o", str(out), submission]
    subprocess.run([sys.executable, *map(str, command)], cwd=tmp_path, env=kernel_env(), check=True)
    results = json.loads((out / "results.json").read_text())
    scores = {t["name"]: (t.get("score"), t.get("max_score")) for t in results["tests"]}
    assert scores["q2c"] == (2.0, 2.0), results  # the public and the hidden tests pass
