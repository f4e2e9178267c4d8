"""Build companion/data/mnist_sample.npz: a small, class-balanced draw from real MNIST.

Usage: python scripts/make_mnist_sample.py PATH/TO/mnist.npz [--train 600] [--test 150]
(per-class counts). The seed is fixed, so the same source gives the same sample.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

SEED = 155
TARGET = Path(__file__).resolve().parents[1] / "companion" / "data" / "mnist_sample.npz"


def balanced_indices(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """`per_class` random indices of each label 0..9, shuffled together."""
    picks = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(10)]
    return rng.permutation(np.concatenate(picks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", type=Path)
    parser.add_argument("--train", type=int, default=600, help="training images per class")
    parser.add_argument("--test", type=int, default=150, help="test images per class")
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)
    with np.load(args.source, allow_pickle=False) as d:
        tr = balanced_indices(d["y_train"], args.train, rng)
        te = balanced_indices(d["y_test"], args.test, rng)
        np.savez_compressed(
            TARGET,
            x_train=d["x_train"][tr],
            y_train=d["y_train"][tr],
            x_test=d["x_test"][te],
            y_test=d["y_test"][te],
        )
    print(f"{TARGET}: {TARGET.stat().st_size / 1e6:.2f} MB, {len(tr)} train, {len(te)} test")


if __name__ == "__main__":
    main()
