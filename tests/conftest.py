"""Shared fixtures: headless plotting, quiet TensorFlow, and a small seeded MNIST."""

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
