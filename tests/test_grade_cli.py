"""`python -m companion.grade`: the verdict printed; exit 0 (pass), 1 (fail), 2 (usage).

One test runs the real command in a subprocess (its exit status reaches the shell); the others
call its `main(argv)` in this process, the same code without a second TensorFlow start.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from companion import pset
from companion.grade.__main__ import main
from companion.playground.handbuilt import model_from_weights

ROOT = Path(__file__).resolve().parents[1]


def grade(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-m", "companion.grade", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """The set's OR net, the same net with a wrong bias, and a corrupt file."""
    folder = tmp_path_factory.mktemp("grade_cli")
    paths = {name: folder / f"{name}.keras" for name in ("right", "wrong", "corrupt")}
    model_from_weights([(pset.OR_WEIGHTS, [pset.OR_BIAS])]).save(paths["right"])
    model_from_weights([(pset.OR_WEIGHTS, [1.0])]).save(paths["wrong"])  # (0,0) -> 1, not 0
    paths["corrupt"].write_bytes(b"PK\x03\x04 truncated")
    return paths


def test_a_passing_model_exits_0_and_prints_the_table(models, capsys):
    assert main([str(models["right"]), "--problem", "1D"]) == 0
    out = capsys.readouterr().out
    assert "PASSED" in out and "truth table" in out


def test_a_broken_rule_exits_1_and_json_names_it(models):
    """The real command: `sys.exit(main())` carries the verdict's status to the shell."""
    out = grade(models["wrong"], "--problem", "1d", "--json")
    assert out.returncode == 1, out.stderr
    verdict = json.loads(out.stdout)
    assert verdict["passed"] is False and verdict["broken"] == ["truth table"]
    assert verdict["figures"]["outputs"][0] == 1.0


@pytest.mark.parametrize(
    ("case", "problem", "message"),
    [
        ("missing", "1D", "no such file"),
        ("corrupt", "1D", "not a readable Keras model"),
        ("right", "5A", "no rules for problem '5A'"),
    ],
)
def test_usage_errors_exit_2_with_the_fix(models, tmp_path, capsys, case, problem, message):
    path = models.get(case, tmp_path / "missing.keras")
    code = main([str(path), "--problem", problem])
    out = capsys.readouterr()
    assert code == 2, (out.out, out.err)
    assert message in out.err and out.out == ""


def test_a_missing_problem_flag_is_argparses_2(models):
    with pytest.raises(SystemExit) as stop:
        main([str(models["right"])])
    assert stop.value.code == 2


def test_missing_mnist_data_is_a_usage_error(models, tmp_path, capsys):
    code = main([str(models["right"]), "--problem", "4F", "--mnist", str(tmp_path / "no.npz")])
    assert code == 2 and "MNIST file not found" in capsys.readouterr().err
