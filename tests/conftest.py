"""Shared fixtures: headless plotting, quiet TensorFlow, small seeded MNIST and circle data."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.pop("COMPANION_MNIST", None)  # tests never read a user's local MNIST

import pytest  # noqa: E402
from shared_runs import shared_run  # noqa: E402

# The files that take longest (from `--durations`), longest first. pytest-xdist hands each
# worker whole files in collection order (`--dist loadfile --no-loadscope-reorder`), so the
# files started last are short ones and neither worker idles long waiting for the other.
# test_ch4.py makes the chapter run the 4E and 4F files share, so it comes before them.
SLOW_FIRST = (
    "test_student_notebooks.py",
    "test_notebooks.py",
    "test_run_folder_cli.py",
    "test_ch4.py",
    "test_search_tuning.py",
    "test_search_workers.py",
    "test_ch3.py",
    "test_ch4_trained.py",
    "test_run_progress.py",
    "test_search.py",
    "test_search_4e.py",
    "test_ch1.py",
    "test_ch4_p4f_cnn.py",
)


def pytest_collection_modifyitems(items):
    """Run the slow files first (a stable sort: each file keeps its own order)."""
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(scope="session")
def mnist_sample():
    """The shipped sample, split as the chapters split it."""
    from companion.data.mnist import load_mnist

    return load_mnist(sample=True)


@pytest.fixture(scope="session")
def tiny_search(tmp_path_factory):
    """The search tests' 2 × 2 grid in one process (their reference), once per session.

    Shared by the xdist workers: a test may resume it (a finished search, which rewrites the
    same files atomically), but copies it before changing it.
    """
    from search_space import TINY

    from companion.search.cli import main

    return shared_run(tmp_path_factory, "tiny_search", main, TINY)[0]


@pytest.fixture(scope="module")
def circle():
    """A small Playground circle (200 points, seeded) for the probe and callback tests."""
    from companion.data.playground import playground_dataset

    return playground_dataset("circle", 200, seed=11)


@pytest.fixture(scope="session")
def ch4_quick(tmp_path_factory):
    """Chapter 4 whole, --quick --seed 3: one run for test_ch4.py and the 4E and 4F files."""
    from chapters.ch4_cnn import main

    return shared_run(tmp_path_factory, "ch4_quick", main, ["--quick", "--seed", "3"])


@pytest.fixture(scope="session")
def ch4_quick_4d(tmp_path_factory):
    """4D alone (`--only 4d`: ids in any case), --quick --seed 3, for the 4D file and test_ch4."""
    from chapters.ch4_cnn import main

    return shared_run(
        tmp_path_factory, "ch4_quick_4d", main, ["--quick", "--only", "4d", "--seed", "3"]
    )
