"""The one seeding helper: stable derived seeds, and every generator seeded at once."""

import random

import keras
import numpy as np
import pytest

from companion.seed import derive_seed, set_seed


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
