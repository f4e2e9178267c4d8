"""Shared fixtures: headless plotting, quiet TensorFlow, small seeded MNIST and circle data."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.pop("COMPANION_MNIST", None)  # tests never read a user's local MNIST

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def mnist_sample():
    """The shipped sample, split as the chapters split it."""
    from companion.data.mnist import load_mnist

    return load_mnist(sample=True)


@pytest.fixture(scope="session")
def tiny_search(tmp_path_factory):
    """The search tests' 2 × 2 grid, run once in this process (their one-process reference)."""
    from search_space import TINY

    from companion.search.cli import main

    out = tmp_path_factory.mktemp("tiny_search")
    assert main([*TINY, "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def circle():
    """A small Playground circle (200 points, seeded) for the probe and callback tests."""
    from companion.data.playground import playground_dataset

    return playground_dataset("circle", 200, seed=11)
