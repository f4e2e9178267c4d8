"""Colab in one cell: the repository's address in one place, the cell and badges written from it.

The notebooks' first code cell, the badges in notebooks/README.md and the README's install
line all come from pyproject.toml's `[project.urls] Repository` (scripts/make_colab_cell.py);
the cell installs companion on Colab and does nothing anywhere else.
"""

import importlib.util
import re
import shutil
import subprocess
import sys
import types

import nbformat
import pytest
from kernels import ROOT

NOTEBOOKS = ["ch1_principles", "ch2_inside", "ch3_depth_width", "ch4_cnn"]


def load_script():
    spec = importlib.util.spec_from_file_location(
        "make_colab_cell", ROOT / "scripts/make_colab_cell.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = load_script()


def repository() -> str:
    """pyproject.toml's [project.urls] Repository, read without a TOML parser (Python 3.10)."""
    text = (ROOT / "pyproject.toml").read_text()
    table = re.search(r"^\[project\.urls\]\n(.*?)(?=^\[)", text, re.M | re.S)
    return re.search(r'^Repository = "([^"]+)"$', table.group(1), re.M).group(1)


def first_code_cell(name: str) -> nbformat.NotebookNode:
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    return next(c for c in nb.cells if c.cell_type == "code")


def test_the_repository_address_is_a_real_github_address():
    url = repository()
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url)
    assert "OWNER" not in url
    assert script.repository(ROOT) == url


def test_every_generated_file_agrees_with_pyproject():
    assert script.notebooks(ROOT) == NOTEBOOKS
    assert script.stale(ROOT) == []  # else: python scripts/make_colab_cell.py
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts/make_colab_cell.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_first_code_cell_installs_from_pyproject_s_address(name):
    cell = first_code_cell(name)
    assert "colab" in cell.metadata.get("tags", [])
    assert f'REPOSITORY = "{repository()}"' in cell.source
    py = (ROOT / "notebooks" / f"{name}.py").read_text()
    assert cell.source in py  # the paired source holds the same cell


def test_readme_badges_open_each_notebook_from_the_repository():
    text = (ROOT / "notebooks" / "README.md").read_text()
    owner_name = repository().removeprefix("https://github.com/")
    links = re.findall(r"\(https://colab\.research\.google\.com/github/([^)]+)\)", text)
    assert links == [f"{owner_name}/blob/main/notebooks/{name}.ipynb" for name in NOTEBOOKS]


def test_no_placeholder_or_other_address_remains_in_any_tracked_file():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    texts = {}
    for name in files:
        path = ROOT / name
        suffixes = {".py", ".md", ".toml", ".ipynb", ".txt", ".cfg", ".yml", ".yaml", ""}
        if path.suffix in suffixes and path.is_file():
            texts[name] = path.read_text(errors="replace")
    assert "README.md" in texts and "pyproject.toml" in texts
    owner = [name for name, text in texts.items() if re.search(r"github\.com/OWNER\b", text)]
    assert owner == [], f"the OWNER placeholder is still in {owner}"
    url = repository()
    for name, text in texts.items():
        for address in re.findall(r"git\+(https://github\.com/[^\s\"'`)\\]+)", text):
            assert address == url, f"{name} installs from {address}, pyproject names {url}"


def run_cell(source: str, monkeypatch, *, colab: bool, installed: bool) -> list[list[str]]:
    """Run the cell's code as a kernel would; the pip commands it ran."""
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(list(cmd)))
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: (
            (object() if installed else None) if name == "companion" else real(name, *a)
        ),
    )
    exec(compile(source, "<colab cell>", "exec"), {"__name__": "__main__"})
    return calls


def test_the_cell_does_nothing_outside_colab(monkeypatch):
    source = first_code_cell("ch1_principles").source
    assert run_cell(source, monkeypatch, colab=False, installed=False) == []


def test_on_colab_the_cell_pip_installs_from_the_repository_once(monkeypatch):
    source = first_code_cell("ch4_cnn").source
    calls = run_cell(source, monkeypatch, colab=True, installed=False)
    assert calls == [
        [sys.executable, "-m", "pip", "install", "--quiet", f"companion[gpu] @ git+{repository()}"]
    ]
    # Run again after the install: nothing to do.
    assert run_cell(source, monkeypatch, colab=True, installed=True) == []


def test_one_line_in_pyproject_moves_every_address(tmp_path):
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    fork = "https://github.com/a-student/companion-fork"
    toml = tmp_path / "pyproject.toml"
    toml.write_text(
        toml.read_text().replace(f'Repository = "{repository()}"', f'Repository = "{fork}"')
    )
    assert len(script.stale(tmp_path)) == 2 * len(NOTEBOOKS) + 2  # every .py, .ipynb, README
    script.write(tmp_path)
    assert script.stale(tmp_path) == []
    for name in NOTEBOOKS:
        cell = next(
            c
            for c in nbformat.read(tmp_path / "notebooks" / f"{name}.ipynb", as_version=4).cells
            if c.cell_type == "code"
        )
        assert f'REPOSITORY = "{fork}"' in cell.source
    readme = (tmp_path / "notebooks" / "README.md").read_text()
    assert readme.count("colab.research.google.com/github/a-student/companion-fork/") == 4
    assert f"git+{fork}" in (tmp_path / "README.md").read_text()
    assert repository() not in (tmp_path / "README.md").read_text()
