"""Make the student notebooks and the Gradescope autograders with Otter Assign.

Each chapter notebook is an Otter Assign master: its jupytext source (`notebooks/<chapter>.py`)
holds the questions (raw `# BEGIN QUESTION` cells), the solutions (`# BEGIN SOLUTION` regions,
kept in the instructor's version), public and hidden tests that call `companion.check`, and the
set's readings (`# BEGIN SOLUTION NO PROMPT`: gone from the student's version).

    python notebooks/assign.py ch1_principles ch2_inside --out dist

writes, per chapter, `dist/<chapter>/student/<chapter>.ipynb` (the notebook to hand out) and
`dist/<chapter>/autograder/` (the solved notebook and `<chapter>-autograder_*.zip` for
Gradescope). The student notebook's cell tagged `grader` becomes otter's `grader`, with the
public tests written into the cell: on Colab otter reads tests only from files (never from a
notebook's metadata, and the notebook is not on Colab's disk), so the cell writes them to a
temporary folder and points otter there; a student notebook alone runs its checks anywhere.
It lives beside the notebooks, not in `companion`, because it is instructor
tooling: otter-grader is the optional `[instructor]` extra and the library never needs it.
"""

from __future__ import annotations

import argparse
import json
import pprint
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
import tomllib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHAPTERS = ("ch1_principles", "ch2_inside", "ch3_depth_width", "ch4_cnn")  # the masters
GRADER_TAG = "grader"  # the master's cell that becomes the student's otter grader

# The student's grader cell; {requirement} and {tests} are filled per chapter.
GRADER_CELL = """\
# otter-grader's `grader` for the `grader.check(...)` cells. The public tests travel in this
# cell (otter on Colab reads tests from files only), written to a temporary folder here.
# Made by notebooks/assign.py from the master's tests.
import atexit
import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

if "google.colab" in sys.modules and importlib.util.find_spec("otter") is None:
    pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "{requirement}"], check=True)
    importlib.invalidate_caches()  # so this session imports what pip just installed
import otter  # elsewhere: python -m pip install "{requirement}"

PUBLIC_TESTS = {tests}
tests_dir = Path(tempfile.mkdtemp(prefix="otter-tests-"))
atexit.register(shutil.rmtree, tests_dir, ignore_errors=True)  # gone with the kernel
for name, test in PUBLIC_TESTS.items():
    (tests_dir / f"{{name}}.py").write_text(f"OK_FORMAT = True\\n\\ntest = {{test!r}}\\n")
grader = otter.Notebook(tests_dir=str(tests_dir))
"""


@dataclass
class Assigned:
    """What `otter assign` made for one chapter."""

    student: Path  # the student notebook
    solved: Path  # the autograder's notebook, solutions in
    autograder_zip: Path


def repository_requirement() -> str:
    """The pip line that installs this project with a backend, from pyproject's [project.urls].

    Gradescope's image has no TensorFlow, so the `cpu` extra brings one.
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    urls = project.get("urls", {})
    url = next((u for u in urls.values() if "github.com" in u), None)
    return f"companion[cpu] @ git+{url}" if url else "companion[cpu]"


def otter_requirement() -> str:
    """otter-grader as pyproject's [instructor] extra pins it (what the student cell installs)."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    return next(r for r in extras["instructor"] if r.startswith("otter-grader"))


def grader_cell(tests: dict) -> str:
    """The student notebook's grader cell, carrying `tests` (otter's public tests by question)."""
    literal = pprint.pformat(tests, width=88, sort_dicts=False)
    return GRADER_CELL.format(requirement=otter_requirement(), tests=literal)


def self_contained(student: Path) -> None:
    """Write the student notebook's grader cell, with its public tests, in place."""
    nb = nbformat.read(student, as_version=4)
    tests = json.loads(json.dumps(nb.metadata["otter"]["tests"]))  # plain dicts for the literal
    cells = [c for c in nb.cells if GRADER_TAG in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise RuntimeError(f"{student.name} needs one cell tagged {GRADER_TAG!r}, has {len(cells)}")
    cells[0].source = grader_cell(tests)
    nbformat.write(nb, student)


def write_master(chapter: str, folder: Path) -> Path:
    """The chapter's jupytext source as an .ipynb master in `folder`, with its requirements."""
    folder.mkdir(parents=True, exist_ok=True)
    master = folder / f"{chapter}.ipynb"
    jupytext.write(jupytext.read(HERE / f"{chapter}.py"), master)
    # The autograder installs these on Gradescope's image (named in the master's config).
    (folder / "requirements.txt").write_text(repository_requirement() + "\n")
    return master


def assign(chapter: str, out: Path) -> Assigned:
    """Run `otter assign` on one chapter's master; the student and autograder go under `out`."""
    if chapter not in CHAPTERS:
        raise ValueError(f"no Otter master for {chapter!r}; masters: {', '.join(CHAPTERS)}")
    work = Path(out) / chapter
    master = write_master(chapter, work / "master")
    result = work / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "otter", "assign", str(master), str(result)],
        cwd=master.parent,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"otter assign failed for {chapter}:\n{done.stdout}\n{done.stderr}")
    zips = sorted((result / "autograder").glob("*.zip"))
    if not zips:
        raise RuntimeError(f"otter assign made no autograder zip for {chapter}:\n{done.stdout}")
    name = f"{chapter}.ipynb"
    self_contained(result / "student" / name)
    return Assigned(result / "student" / name, result / "autograder" / name, zips[-1])


def main(argv: list[str] | None = None) -> int:
    """Assign the chapters named on the command line (default: every master)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", default=list(CHAPTERS), choices=CHAPTERS)
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where to write")
    args = parser.parse_args(argv)
    for chapter in args.chapters:
        made = assign(chapter, args.out)
        print(f"{chapter}: student {made.student}\n  autograder {made.autograder_zip}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
