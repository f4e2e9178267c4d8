"""companion in Jupyter: reports inline, the backend left alone, figures shown once.

The kernel tests share one real kernel (nbclient + ipykernel) that runs a chapter, then
checks plotting in the same session, the way a student's notebook would.
"""

import base64
import runpy
import subprocess
import sys

import matplotlib
import pytest
from kernels import ROOT, code_notebook, execute, images, markdown, text

from chapters import _flags, run
from companion.errors import CompanionError
from companion.run.jupyter import in_notebook, report_parts
from companion.run.runner import Problem, Section, run_chapter

# --- without a kernel ---------------------------------------------------------------------


def test_report_parts_split_text_and_existing_figures(tmp_path):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "a.png").write_bytes(b"png")
    (tmp_path / "report.md").write_text(
        "# T\n\nintro\n\n![first](figures/a.png)\n\n*first*\n\n"
        "![gone](figures/missing.png) ![web](https://x.org/b.png)\n\nend\n"
    )
    parts = report_parts(tmp_path)
    assert [kind for kind, _ in parts] == ["markdown", "image", "markdown"]
    assert parts[0][1].strip() == "# T\n\nintro"
    assert parts[1][1] == tmp_path / "figures" / "a.png"
    # Links to files that are not there, or to the web, stay in the text as written.
    assert "![gone](figures/missing.png)" in parts[2][1]
    assert "https://x.org/b.png" in parts[2][1]


def test_report_parts_name_a_missing_report(tmp_path):
    with pytest.raises(FileNotFoundError, match="report.md"):
        report_parts(tmp_path)


def test_jupyter_support_imports_nothing_heavy():
    code = (
        "import sys, companion.run.jupyter, chapters\n"
        "heavy = {'tensorflow', 'keras', 'matplotlib', 'IPython'} & set(sys.modules)\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_not_a_notebook_here():
    assert in_notebook() is False


def test_flags_from_keywords():
    assert _flags(only="4B", epochs=3, resume=True, verbose=False, mnist=None, max_shift=2) == [
        "--only",
        "4B",
        "--epochs",
        "3",
        "--resume",
        "--max-shift",
        "2",
    ]


def test_run_names_an_unknown_chapter():
    with pytest.raises(CompanionError, match="'ch9'.*ch1_principles"):
        run("ch9")


def test_run_turns_a_bad_flag_into_an_error(tmp_path, capsys):
    with pytest.raises(CompanionError, match=r"ch4_cnn stopped \(exit code 2\)"):
        run("ch4_cnn", only="9Z", out=tmp_path)
    assert "9Z" in capsys.readouterr().err  # the bad id
    with pytest.raises(CompanionError, match=r"exit code 2"):
        run("ch4_cnn", out=tmp_path, no_such_flag=1)  # argparse's own exit


@pytest.fixture
def template_backend():
    """Switch to a non-Agg backend for one test, then back."""
    before = matplotlib.get_backend()
    matplotlib.use("template")
    yield
    matplotlib.use(before)


def test_running_a_chapter_leaves_the_backend(tmp_path, template_backend):
    problems = [Problem("1A", "one", lambda ctx: Section("text", {}, "done"))]
    assert run_chapter("ch_fake", "Fake", problems, ["--out", str(tmp_path)]) == 0
    assert matplotlib.get_backend() == "template"


@pytest.mark.filterwarnings("ignore:'chapters.:RuntimeWarning")  # runpy: already imported
@pytest.mark.parametrize(
    ("chapter", "problem"),
    [("ch1_principles", "1D"), ("ch2_inside", "2A"), ("ch3_depth_width", "3A"), ("ch4_cnn", "4B")],
)
def test_the_command_line_is_headless(chapter, problem, tmp_path, template_backend, monkeypatch):
    monkeypatch.setattr(
        sys, "argv", [chapter, "--quick", "--only", problem, "--out", str(tmp_path)]
    )
    with pytest.raises(SystemExit) as stop:
        runpy.run_module(f"chapters.{chapter}", run_name="__main__")
    assert stop.value.code == 0
    assert matplotlib.get_backend().lower() == "agg"


# --- in a real kernel ---------------------------------------------------------------------

CELLS = {
    "backend": "import matplotlib\nbefore = matplotlib.get_backend()\nprint(before)",
    "chapter": (
        "from chapters import run\nfolder = run('ch4_cnn', quick=True, only='4A,4B', out='run_4')"
    ),
    "show": (
        "import matplotlib.pyplot as plt\n"
        "assert matplotlib.get_backend() == before, matplotlib.get_backend()\n"
        "plt.plot([1, 2, 3])\n"
        "plt.show()"
    ),
    "last_line": (
        "from companion.plots import plot_lines\n"
        "plot_lines({'a': ([1, 2], [3, 4])}, title='last line')"
    ),
    "assigned": "fig = plot_lines({'a': ([1, 2], [3, 4])}, title='assigned')\nprint('assigned')",
    "tweaked": "fig.axes[0].set_ylim(0, 5)\nfig",
    "heatmap": (
        "import pandas as pd\n"
        "from companion.search.trials import plot_grid_heatmap\n"
        "trials = pd.DataFrame({'lr': [0.1, 0.01, 0.1], 'p': [0.0, 0.0, 0.5], "
        "'score': [0.5, 0.9, 0.7]})\n"
        "plot_grid_heatmap(trials, 'p', 'lr')"
    ),
    "curves": (
        "import keras, numpy as np\n"
        "from companion.callbacks import TrainingCurves\n"
        "model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n"
        "model.compile('sgd', 'mse')\n"
        "x = np.random.default_rng(0).normal(size=(64, 2)).astype('float32')\n"
        "print('before the fits')\n"
        "for run_id in (1, 2):\n"
        "    model.fit(x, x[:, :1], validation_data=(x, x[:, :1]), epochs=3, verbose=0,\n"
        "              callbacks=[TrainingCurves(f'curves_{run_id}.png')])"
    ),
}


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """The CELLS run in order in one kernel: name -> executed cell, and the kernel's folder."""
    cwd = tmp_path_factory.mktemp("kernel")
    nb = execute(code_notebook(*CELLS.values()), cwd, timeout=300)
    return dict(zip(CELLS, nb.cells)), cwd


def test_a_chapter_in_a_kernel_shows_its_report_with_real_images(session):
    cells, cwd = session
    report = cwd / "run_4" / "report.md"
    parts = markdown(cells["chapter"])
    assert "## 4A." in "".join(parts) and "## 4B." in "".join(parts)  # both sections, in order
    assert "".join(parts).index("## 4A.") < "".join(parts).index("## 4B.")
    figure = (cwd / "run_4" / "figures" / "4A_patch_coverage.png").read_bytes()
    shown = images(cells["chapter"])
    assert report.read_text().count("](figures/") == len(shown) == 1
    assert base64.b64decode(shown[0]) == figure  # the report's own figure, inline
    assert "![" not in "".join(parts)  # no image link left for the notebook to miss


def test_plt_show_still_draws_after_a_chapter_ran(session):
    cells, _ = session
    assert "inline" in text(cells["backend"])
    assert len(images(cells["show"])) == 1


@pytest.mark.parametrize("name", ["last_line", "assigned", "tweaked", "heatmap"])
def test_a_plot_function_figure_shows_exactly_once(session, name):
    cells, _ = session
    assert len(images(cells[name])) == 1


def test_training_curves_update_one_image_per_fit_and_write_the_png(session):
    cells, cwd = session
    assert len(images(cells["curves"])) == 2  # two fits of three epochs: one image each
    assert "before the fits" in text(cells["curves"])  # nothing else was cleared away
    for run_id in (1, 2):
        assert (cwd / f"curves_{run_id}.png").read_bytes().startswith(b"\x89PNG")
