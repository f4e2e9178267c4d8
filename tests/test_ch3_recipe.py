"""chapters.ch3_depth_width.recipe: a recipe's words and table row (training: test_ch3.py)."""

import subprocess
import sys

from chapters.ch3_depth_width.recipe import Recipe


def test_describe_and_row_round_trip():
    recipe = Recipe((150, 50), dropout=0.1, epochs=1, batch_size=128, max_shift=0)
    assert recipe.describe() == (
        "150-50, dropout 0.1, 1 epoch, batch 128, Adam 0.002 cosine-decayed, no augmentation"
    )
    shifted = Recipe((100,), input_dropout=0.2, max_shift=2)
    assert "input dropout 0.2, 20 epochs" in shifted.describe()
    assert shifted.describe().endswith("shifts up to 2 px")
    assert recipe.row()["widths"] == "150-50"
    for r in (recipe, shifted):
        assert Recipe.from_row(r.row()) == r


def test_a_recipe_is_plain_data_that_loads_no_keras():
    code = "import sys, chapters.ch3_depth_width.recipe; print('keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]
