"""The one pluralising helper and its list words (companion.words)."""

import pytest

from companion.words import count, join, value_set


def test_count_pluralises_all_but_one_and_groups_thousands():
    assert count(1, "seed") == "1 seed"
    assert count(0, "seed") == "0 seeds"
    assert count(3, "hidden layer") == "3 hidden layers"
    assert count(20_000, "image") == "20,000 images"


def test_join_lists_names_in_english():
    assert join(["a"]) == "a"
    assert join(["a", "b"]) == "a and b"
    assert join([1, 2, 3]) == "1, 2 and 3"
    with pytest.raises(ValueError, match="at least one"):
        join([])


def test_value_set_is_sorted_and_distinct():
    assert value_set([0.01, 0.001, 0.01]) == "{0.001, 0.01}"
