"""Files written so a crash leaves the old or the new one, never half (companion.run.atomic)."""

import math
from dataclasses import dataclass

import numpy as np
import pytest

from companion.run.atomic import read_json, replace_atomically, to_jsonable, write_json, write_text


def test_to_jsonable_handles_dataclasses():
    @dataclass
    class Result:
        rate: float
        scores: np.ndarray

    assert to_jsonable({"r": Result(np.float32(0.5), np.array([1, 2]))}) == {
        "r": {"rate": 0.5, "scores": [1, 2]}
    }


def test_write_json_replaces_the_file(tmp_path):
    target = tmp_path / "x.json"
    write_json(target, {"a": 1})
    write_json(target, {"a": 2})
    assert read_json(target) == {"a": 2}
    assert read_json(tmp_path / "absent.json") is None


def test_an_atomic_write_that_fails_leaves_the_old_file(tmp_path):
    target = tmp_path / "report.md"
    write_text(target, "old and complete")

    def half_then_full_disk(tmp):
        tmp.write_text("new and half")
        raise OSError(28, "No space left on device", str(tmp))

    with pytest.raises(OSError, match="No space left"):
        replace_atomically(target, half_then_full_disk)
    assert target.read_text() == "old and complete"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_to_jsonable_turns_numpy_and_nan_into_plain_json():
    value = to_jsonable({"n": np.int64(3), "x": np.float32(0.25), "bad": math.nan, "a": np.ones(2)})
    assert value == {"n": 3, "x": 0.25, "bad": None, "a": [1.0, 1.0]}
    assert type(value["n"]) is int and type(value["x"]) is float
