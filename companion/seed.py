"""The one seeding helper: every random draw in companion starts here."""

from __future__ import annotations

import hashlib
import numbers


def derive_seed(seed: int, key: str) -> int:
    """A stable per-task seed from a base seed and a name (e.g. a problem id)."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:4], "little") % (2**31 - 1)


def seed_for(problem: str, part: str, seed: int = 0) -> int:
    """The seed of one part of a problem, as `python -m chapters.chN --seed SEED` gives it.

    A notebook or script that calls `seed_for("4F", "final")` draws the same numbers as
    the command line's 4F (whose runner asks this function with the problem now running).
    """
    return derive_seed(seed, f"{problem}:{part}")


def set_seed(seed: int, deterministic: bool = False) -> int:
    """Seed Python, NumPy and the Keras backend; optionally force deterministic ops.

    Args:
        seed: a non-negative integer.
        deterministic: also ask TensorFlow for deterministic kernels (slower; only
            needed for bit-identical reruns, not for results within a tolerance).

    Returns:
        The seed, for logging.
    """
    # numbers.Integral admits NumPy integers (e.g. a seed read from an array or a config).
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)  # keras.utils.set_random_seed accepts only a Python int
    import keras  # the runner imports this module and stays Keras-free (derive_seed needs none)

    keras.utils.set_random_seed(seed)
    if deterministic and keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # this backend's own switch; Keras has loaded it already

        tf.config.experimental.enable_op_determinism()
    return seed
