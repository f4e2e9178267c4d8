"""companion.run.lazy: a package's names load from their module on first use, and only then."""

import importlib
import subprocess
import sys

import pytest

from companion.run.lazy import lazy_exports, public_names
from companion.run.runner import Problem


def test_a_name_loads_from_its_module_and_is_kept():
    namespace: dict = {}
    getattr_, dir_ = lazy_exports("companion", {"shapes": ["conv_output_size"]}, namespace)
    function = getattr_("conv_output_size")
    assert function(28, 5, padding="valid") == 24
    assert namespace["conv_output_size"] is function
    assert "conv_output_size" in dir_()


def test_an_unknown_name_is_an_attribute_error_naming_the_package():
    getattr_, _ = lazy_exports("chapters.ch4_cnn", {}, {})
    with pytest.raises(AttributeError, match="chapters.ch4_cnn.*no_such"):
        getattr_("no_such")


def test_a_problem_given_by_address_imports_its_module_when_it_runs():
    problem = Problem("X", "by address", "companion.shapes:conv_output_size")
    assert problem.solver()(28, 3, padding="same") == 28
    direct = Problem("Y", "by function", print)
    assert direct.solver() is print


def test_chapter_packages_load_no_keras_until_a_problem_runs():
    code = (
        "import sys, chapters.ch1_principles, chapters.ch2_inside, chapters.ch3_depth_width, "
        "chapters.ch4_cnn; print(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_names_are_the_lazy_ones_and_the_defined_ones_sorted_once():
    modules = {"a": ["zeta", "alpha"], "b": ["alpha", "beta"]}
    names = public_names(modules, "main", "PROBLEMS")
    assert names == ["PROBLEMS", "alpha", "beta", "main", "zeta"]


def test_every_chapter_export_resolves():
    for name in ("ch1_principles", "ch2_inside", "ch3_depth_width", "ch4_cnn"):
        package = importlib.import_module(f"chapters.{name}")
        assert {"PROBLEMS", "main"} <= set(package.__all__)
        assert [n for n in package.__all__ if not hasattr(package, n)] == []
