"""The one seeding helper: stable derived seeds, and every generator seeded at once."""

import random

import keras
import numpy as np
import pytest

from companion.run.runner import Problem, Section, run_chapter
from companion.seed import derive_seed, seed_for, set_seed


def draws() -> list[float]:
    """One number from each generator a model's training draws from."""
    return [
        random.random(),
        float(np.random.random()),
        float(keras.ops.convert_to_numpy(keras.random.uniform(()))),
    ]


def test_derive_seed_is_stable_across_processes_and_versions():
    # Pinned: changing the derivation would silently change every published result.
    assert derive_seed(0, "4F") == 1686338613
    assert derive_seed(0, "4A") == 1318520722
    assert derive_seed(1, "4F") == 2079039755
    assert 0 <= derive_seed(10**9, "x") < 2**31 - 1


def test_set_seed_accepts_numpy_integers_and_refuses_the_rest():
    assert set_seed(np.int64(3)) == 3
    first = np.random.random()
    set_seed(3)
    assert np.random.random() == first
    for bad in (-1, 1.5, "3", True):
        with pytest.raises(ValueError, match="seed must be a non-negative integer"):
            set_seed(bad)


def test_derive_seed_differs_by_key_and_base():
    seeds = {derive_seed(base, key) for base in (0, 1) for key in ("4F", "4F:final", "4f")}
    assert len(seeds) == 6  # every base and key its own seed (the key is case-sensitive)


def test_set_seed_seeds_python_numpy_and_keras_together():
    set_seed(7)
    first = draws()
    set_seed(7)
    assert draws() == first
    set_seed(8)
    assert all(a != b for a, b in zip(draws(), first))


def test_a_model_built_after_the_same_seed_starts_from_the_same_weights():
    def weights(seed):
        set_seed(seed)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
        return model.get_weights()[0]

    np.testing.assert_array_equal(weights(1), weights(1))
    assert np.abs(weights(1) - weights(2)).max() > 1e-3
    with pytest.raises(ValueError, match="got None"):
        set_seed(None)


def test_seed_for_gives_the_seeds_the_command_line_gives(tmp_path):
    seen: dict[tuple[str, str, int], int] = {}

    def record(ctx):
        for part in ("final", "digits", "models-0"):
            seen[ctx.problem, part, ctx.seed] = ctx.seed_for(part)
        return Section("recorded", {}, "recorded")

    problems = [Problem(p, p, record) for p in ("1D", "3A", "4F")]
    for base in (0, 7):
        argv = ["--out", str(tmp_path / str(base)), "--seed", str(base)]
        assert run_chapter("ch_fake", "A fake chapter", problems, argv) == 0
    assert len(seen) == 18 and len(set(seen.values())) == 18  # every part its own seed
    for (problem, part, base), value in seen.items():
        assert seed_for(problem, part, seed=base) == value
    # The default base is the command line's default, --seed 0; pinned like derive_seed.
    assert seed_for("4F", "final") == seen["4F", "final", 0] == derive_seed(0, "4F:final")
