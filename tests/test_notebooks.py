"""The chapter notebooks: stored clean, in sync with their sources, and run end to end.

Each notebook runs in quick mode (QUICK = True, as stored) through a real Jupyter kernel,
one kernel per notebook. A run fails on any cell error, when a cell tagged "figure"
leaves no image in its outputs, and when one tagged "animation" leaves no inline player.
"""

import ast
import importlib
import re
import time

import jupytext
import nbformat
import pytest
from kernels import ROOT, execute, exercises_start, images

NOTEBOOKS = ROOT / "notebooks"
CHAPTERS = ["ch1_principles", "ch2_inside", "ch3_depth_width", "ch4_cnn"]
# Problems whose answer is a number or a table, not a picture.
NO_FIGURE = {"2A": "versions", "4B": "a parameter count and a shape"}
# Problems whose boundaries play as an animation (a cell tagged "animation").
ANIMATED = {"ch1_principles": {"1A", "1B"}}
HEADING = re.compile(r"^## (\S+?)\. ", re.M)
# Notebooks that build their models in the open (Keras in the cells) and end in exercises.
SHOWS_KERAS = CHAPTERS
KERAS_STEPS = {"summary", "compile", "fit", "evaluate"}


def read(chapter: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{chapter}.ipynb", as_version=4)


def sections(nb) -> dict[str, list]:
    """Problem id -> the cells under its '## <id>. …' heading (up to the next one)."""
    found: dict[str, list] = {}
    current = None
    for cell in nb.cells:
        heading = HEADING.search(cell.source) if cell.cell_type == "markdown" else None
        if heading:
            current = heading.group(1)
            found[current] = []
        elif current is not None:
            found[current].append(cell)
    return found


def tagged(cells, tag: str) -> list:
    return [c for c in cells if tag in c.get("metadata", {}).get("tags", [])]


def figure_cells(cells) -> list:
    return tagged(cells, "figure")


def player_frames(cell) -> int:
    """How many frames the cell's inline animation player holds (0: no player)."""
    html = "".join(o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {}))
    return html.count("data:image/png") if 'class="animation"' in html else 0


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notebook_is_stored_without_outputs_and_in_quick_mode(chapter):
    nb = read(chapter)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert "colab" in code[0].metadata.get("tags", []), "the first cell installs on Colab"
    setup = next(c for c in code if re.search(r"^QUICK = ", c.source, re.M))
    assert re.search(r"^QUICK = True\b", setup.source, re.M), "the set-up cell sets QUICK"
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notebook_matches_its_jupytext_source(chapter):
    source = jupytext.read(NOTEBOOKS / f"{chapter}.py")
    stored = read(chapter)

    def cells(nb):
        return [(c.cell_type, c.source, c.get("metadata", {}).get("tags", [])) for c in nb.cells]

    assert cells(source) == cells(stored), (
        f"notebooks/{chapter}.ipynb is out of date; run: jupytext --sync notebooks/{chapter}.py"
    )


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notebook_walks_every_problem_with_a_figure(chapter):
    problems = [p.id for p in importlib.import_module(f"chapters.{chapter}").PROBLEMS]
    found = sections(read(chapter))
    assert list(found) == problems
    for problem, cells in found.items():
        if problem not in NO_FIGURE:
            assert figure_cells(cells), f"{chapter} {problem} has no cell tagged 'figure'"
    animated = {p for p, cells in found.items() if tagged(cells, "animation")}
    assert animated == ANIMATED.get(chapter, set())


def up_to_exercises(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """`nb` without its exercises, the last section (a problem's cells are all before it)."""
    nb.cells = nb.cells[: exercises_start(nb)]
    return nb


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notebook_runs_in_quick_mode_and_draws_every_figure(chapter, tmp_path):
    # The exercises' worked answers run in test_student_notebooks.py, which fills the
    # student's blanks with them (checked there to be these cells): run once per suite.
    nb = up_to_exercises(read(chapter))
    start = time.perf_counter()
    execute(nb, tmp_path, timeout=600)
    print(f"{chapter}: {time.perf_counter() - start:.0f} s in quick mode")
    for problem, cells in sections(nb).items():
        for cell in figure_cells(cells):
            assert images(cell), f"{chapter} {problem}: no figure from\n{cell.source}"
        for cell in tagged(cells, "animation"):
            assert player_frames(cell) > 1, f"{chapter} {problem}: no animation from\n{cell.source}"


def calls(source: str) -> set[str]:
    """The names called in a cell's code (`model.fit(...)` gives "fit"), comments ignored."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


@pytest.mark.parametrize("chapter", SHOWS_KERAS)
def test_notebook_builds_its_models_in_keras_and_ends_in_exercises(chapter):
    nb = jupytext.read(NOTEBOOKS / f"{chapter}.py")
    called = set().union(*(calls(c.source) for c in nb.cells if c.cell_type == "code"))
    assert called >= KERAS_STEPS, f"{chapter} never calls {KERAS_STEPS - called}"
    assert called >= {"Sequential", "getsource"}  # models written out, the chapter's shown
    starts = [
        i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source[:3] == "## "
    ]
    assert nb.cells[starts[-1]].source.startswith("## Exercises")
    tail = nb.cells[starts[-1] :]
    exercises = [c for c in tail if c.cell_type == "markdown" and "**Exercise" in c.source]
    assert len(exercises) >= 3


# Chapter functions a notebook calls with what its cells trained (the keyword that carries it),
# so the chapter's result comes from the cells' models, not from a second training.
TAKES_TRAINED = {
    "ch3_depth_width": {"budget_model": "trained"},
    "ch4_cnn": {
        "pooling_and_noise": "trained",
        "hyperparameter_search": "searched",
        "cnn_4f": "trained",
    },
}


def keywords(source: str) -> dict[str, set[str]]:
    """Per called name in a cell's code, the keyword arguments it is given."""
    given: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            given.setdefault(name, set()).update(k.arg for k in node.keywords if k.arg)
    return given


@pytest.mark.parametrize("chapter", TAKES_TRAINED)
def test_notebook_passes_what_its_cells_trained_to_the_chapter(chapter):
    nb = jupytext.read(NOTEBOOKS / f"{chapter}.py")
    given: dict[str, set[str]] = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            for name, words in keywords(cell.source).items():
                given.setdefault(name, set()).update(words)
    for function, keyword in TAKES_TRAINED[chapter].items():
        assert keyword in given.get(function, set()), f"{chapter}: {function}(..., {keyword}=)"
    if chapter == "ch4_cnn":
        assert "search" in given  # 4E's tuner.search runs in a cell
