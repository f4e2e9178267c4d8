"""The public surface: every advertised name resolves, and `import companion` stays light."""

import ast
import json
import re
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

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


TENSORFLOWS = {"tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos"}
RUN = {"capture_output": True, "text": True, "timeout": 300}


def _dist_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built from a copy so the build writes nothing into the checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git", "runs", "*.egg-info", "build", "__pycache__", "notebooks", "tests"
        ),
    )
    wheels = tmp / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheels), str(src)],
        **RUN,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (path,) = wheels.glob("companion-*.whl")
    return path


def _venv(path: Path, *site_dirs: str | Path) -> Path:
    """A venv without pip whose sys.path ends with `site_dirs` (a .pth file lists them).

    Unlike --system-site-packages, which adds the *base* interpreter's folders, this gives
    the new venv what the running interpreter actually sees (a user's venv, say).
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, **RUN)
    python = path / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        **RUN,
    ).stdout.strip()
    Path(purelib, "parent_env.pth").write_text("".join(f"{d}\n" for d in site_dirs))
    return python


def _site_dirs() -> list[str]:
    """Where the running interpreter finds its installed packages (not the checkout)."""
    dirs = [*site.getsitepackages(), site.getusersitepackages()]
    return [d for d in dirs if Path(d).is_dir()]


def _pip(python: Path, *args: str) -> subprocess.CompletedProcess:
    """This interpreter's pip acting on the environment of `python` (pip's --python)."""
    return subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check",
         *args],
        **RUN,
    )  # fmt: skip


def _requirements(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(name).decode()
    return [line.split(":", 1)[1].strip() for line in metadata.splitlines()
            if line.startswith("Requires-Dist:")]  # fmt: skip


def test_wheel_installs_and_runs_a_chapter_from_any_folder(wheel, tmp_path):
    """Install the wheel (no deps) into a venv over this interpreter's packages, run 4B."""
    with zipfile.ZipFile(wheel) as archive:
        files = set(archive.namelist())
    assert {"companion/data/mnist_sample.npz", "companion/data/covid_fixture.csv"} <= files
    venv = tmp_path / "venv"
    python = _venv(venv, *_site_dirs())
    installed = _pip(python, "install", "-q", "--no-deps", "--no-index", str(wheel))
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
        **RUN,
    )
    assert where.stdout.count(str(venv)) == 2, where.stdout
    chapter = subprocess.run(
        [str(python), "-m", "chapters.ch4_cnn", "--quick", "--only", "4B", "--out", "R"],
        cwd=work,
        **RUN,
    )
    assert chapter.returncode == 0, chapter.stderr
    assert "4B" in json.loads((work / "R" / "summary.json").read_text())["problems"]


def test_the_backend_comes_only_from_an_extra(wheel):
    requirements = _requirements(wheel)
    unconditional = [r for r in requirements if "extra ==" not in r]
    named = {_dist_name(re.split(r"[\s<>=!~;\[(]", r, maxsplit=1)[0]) for r in unconditional}
    assert "keras" in named
    assert not named & TENSORFLOWS, unconditional
    cpu = [r for r in requirements if 'extra == "cpu"' in r]
    gpu = [r for r in requirements if 'extra == "gpu"' in r]
    assert any(r.startswith("tensorflow-cpu") and "linux" in r for r in cpu), cpu
    assert [r.split(";")[0].strip() for r in gpu] == ["tensorflow<3,>=2.16"], gpu


def _metadata_only(folder: Path, *, tensorflow: str | None) -> Path:
    """A folder with this interpreter's installed distributions as metadata alone, less any
    TensorFlow and companion itself, plus (optionally) a `tensorflow` of that version."""
    folder.mkdir()
    for site_dir in _site_dirs():
        for info in Path(site_dir).glob("*.dist-info"):
            name = _dist_name(info.name.split("-")[0])
            if name in TENSORFLOWS or name == "companion":
                continue
            shutil.copytree(info, folder / info.name, dirs_exist_ok=True)
    if tensorflow:
        info = folder / f"tensorflow-{tensorflow}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: tensorflow\nVersion: {tensorflow}\n"
        )
        (info / "INSTALLER").write_text("pip\n")
    return folder


def _planned(python: Path, requirement: str, report: Path) -> list[str]:
    """The distributions `pip install --dry-run` would install (nothing is downloaded)."""
    planned = _pip(
        python, "install", "--dry-run", "--no-index", "--quiet", "--report", str(report),
        requirement,
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    return [
        _dist_name(item["metadata"]["name"]) for item in json.loads(report.read_text())["install"]
    ]


def test_installing_beside_a_tensorflow_plans_no_second_one(wheel, tmp_path):
    """Colab's case: TensorFlow is there; the wheel (and its gpu extra) adds no other."""
    python = _venv(tmp_path / "venv", _metadata_only(tmp_path / "meta", tensorflow="2.21.0"))
    assert _planned(python, str(wheel), tmp_path / "plain.json") == ["companion"]
    assert _planned(python, f"companion[gpu] @ {wheel.as_uri()}", tmp_path / "gpu.json") == [
        "companion"
    ]


def test_without_a_backend_the_cpu_extra_asks_for_tensorflow_cpu(wheel, tmp_path):
    python = _venv(tmp_path / "venv", _metadata_only(tmp_path / "meta", tensorflow=None))
    assert _planned(python, str(wheel), tmp_path / "plain.json") == ["companion"]
    asked = _pip(python, "install", "--dry-run", "--no-index", f"companion[cpu] @ {wheel.as_uri()}")
    assert asked.returncode != 0
    assert "tensorflow-cpu" in asked.stderr.lower().replace("_", "-")


def test_import_without_tensorflow_stops_with_one_line_naming_the_extras():
    code = "import sys; sys.modules['tensorflow'] = None; import companion"
    out = subprocess.run([sys.executable, "-c", code], **RUN)
    assert out.returncode == 1
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: companion needs TensorFlow")
    assert "companion[cpu]" in last and "companion[gpu]" in last
