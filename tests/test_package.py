"""The public surface: every advertised name resolves, and `import companion` stays light."""

import ast
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import companion

ROOT = Path(__file__).resolve().parents[1]


def test_every_export_resolves():
    missing = [name for name in companion.__all__ if getattr(companion, name, None) is None]
    assert missing == []


def test_unknown_name_is_an_attribute_error():
    try:
        companion.no_such_thing  # noqa: B018
    except AttributeError as error:
        assert "no_such_thing" in str(error)
    else:
        raise AssertionError("expected AttributeError")


def test_import_is_light():
    code = "import sys, companion; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_exports_are_a_short_deliberate_list():
    names = [name for name in companion.__all__ if name != "__version__"]
    assert 35 <= len(names) <= 45
    assert len(set(names)) == len(names)
    # internals stay importable from their modules but are not exported
    for internal in ("check_rate", "fraction_text", "set_dropout", "half_squared_error"):
        assert internal not in names


def test_no_export_shares_a_submodule_name():
    package = Path(companion.__file__).parent
    modules = {p.stem for p in package.glob("*.py")} | {
        p.name for p in package.iterdir() if p.is_dir()
    }
    assert not set(companion.__all__) & modules


def test_the_type_checking_block_lists_every_export():
    tree = ast.parse(Path(companion.__file__).read_text())
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
    )
    imported = {
        (node.module, alias.name)
        for node in ast.walk(block)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert imported == {(module, name) for name, module in companion._EXPORTS.items()}


def test_mlp_is_the_builder_whatever_was_imported_first():
    code = (
        "from companion import check_budget, count_hidden_units\n"
        "import companion.budget\n"
        "from companion import mlp\n"
        "print(callable(mlp), count_hidden_units(mlp((30, 20))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "50"]


def test_version_is_defined_once():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text
    assert re.fullmatch(r"\d+\.\d+\.\d+", companion.__version__)


def test_wheel_installs_and_runs_a_chapter_from_any_folder(tmp_path):
    """Build the wheel, install it (no deps) into a venv over this site-packages, run 4B."""
    src = tmp_path / "src"  # a copy, so the build writes nothing into the checkout
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git", "runs", "*.egg-info", "build", "__pycache__", "notebooks", "tests"
        ),
    )
    wheels = tmp_path / "wheels"
    run = {"capture_output": True, "text": True, "timeout": 300}
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(src),
        ],
        **run,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("companion-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        files = set(archive.namelist())
    assert {"companion/data/mnist_sample.npz", "companion/data/covid_fixture.csv"} <= files
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, **run
    )
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], **run
    )
    assert installed.returncode == 0, installed.stderr
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import companion, chapters; print(companion.__file__, chapters.__file__)",
        ],
        cwd=work,
        check=True,
        **run,
    )
    assert where.stdout.count(str(venv)) == 2, where.stdout
    chapter = subprocess.run(
        [str(python), "-m", "chapters.ch4_cnn", "--quick", "--only", "4B", "--out", "R"],
        cwd=work,
        **run,
    )
    assert chapter.returncode == 0, chapter.stderr
    assert "4B" in json.loads((work / "R" / "summary.json").read_text())["problems"]
