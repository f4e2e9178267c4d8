"""Versions and devices read in one place, and TensorFlow's start-up lines held back."""

import os
import subprocess
import sys
from importlib import metadata

from companion.run.env import _held_stderr, backend_report, library_versions


def test_library_versions_match_the_installed_packages_without_importing_them():
    code = (
        "import sys\n"
        "from companion.run.env import library_versions\n"
        "v = library_versions()\n"
        "print(v['keras'], v['python'].count('.'), 'keras' in sys.modules, 'numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [metadata.version("keras"), "2", "False", "False"]
    versions = library_versions()
    assert set(versions) == {
        "python",
        "keras",
        "tensorflow",
        "keras-tuner",
        "numpy",
        "pandas",
        "matplotlib",
    }
    assert versions["numpy"] == metadata.version("numpy")


def test_backend_report_names_the_backend_and_a_cpu():
    report = backend_report()
    assert report["keras_backend"] == "tensorflow"
    assert any("CPU" in name for name in report["devices"])


def test_held_stderr_drops_the_noise_and_replays_the_rest(capfd, monkeypatch):
    monkeypatch.setattr(sys, "stderr", sys.__stderr__)  # a real file descriptor, as in a script
    with _held_stderr():
        os.write(2, b"I0000 cpu_feature_guard.cc:227] This TensorFlow binary is optimized\n")
        os.write(2, b"a real warning\n")
    assert capfd.readouterr().err == "a real warning\n"
