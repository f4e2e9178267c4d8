# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 3: depth vs width on MNIST under hidden-unit budgets
#
# Problem 3 of CS 155 set 4, worked with the `companion` library and the chapter's own
# functions (`chapters.ch3_depth_width`). Change a setting in a cell and run it again.
# `python -m chapters.ch3_depth_width` runs the same problems and writes a full report.
#
# The rules for every net: a Sequential model of Dense, ReLU, Softmax, Dropout and Flatten
# layers only, categorical cross-entropy, inputs divided by 255. Only the hidden Dense
# layers' widths count toward a budget.

# %%
# On Colab or in a fresh environment, install the companion first (remove the leading #):
# # !pip install "companion @ git+https://github.com/OWNER/companion"
import logging
from dataclasses import replace

from IPython.display import Markdown, display

from chapters import ch3_depth_width as ch3
from companion import load_mnist, set_seed

QUICK = True  # True: the shipped sample, 1 epoch, 1 seed (about a minute); False: full MNIST
SEED = 0
logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notes in the outputs
set_seed(SEED)
# Full MNIST: load_mnist() looks for $COMPANION_MNIST, then Keras' cache or download.
data = load_mnist(flatten=True, sample=QUICK)
print(data.description)

# %% [markdown]
# ## 3A. The data
#
# *The set:* what are the images' height and width, what does each entry mean, and how many
# training and test images are there?

# %% tags=["figure"]
facts = ch3.data_facts(data)
fig = ch3.plot_digits_per_class(data, seed=SEED)

# %%
c = facts.counts
print(
    f"Each image is {facts.height} x {facts.width} pixels; an entry is a grey level from "
    f"{facts.pixel_min} (background) to {facts.pixel_max} (full ink), "
    f"{facts.zero_fraction:.0%} of them 0. Training images: {c['train'] + c['val']:,} "
    f"({c['train']:,} to train on, {c['val']:,} held out for validation); test images: "
    f"{c['test']:,}. Flattened, the training inputs are {tuple(facts.flat_shape)} and the "
    f"one-hot labels {tuple(facts.one_hot_shape)}.\n" + ch3.balance_text(facts.per_class["train"])
)

# %% [markdown]
# ## 3B. At most 100 hidden units
#
# *The set:* reach test accuracy 0.975 with at most 100 hidden units (on more than half of
# your training runs).
#
# Each budget below trains the chapter's chosen recipe (`ch3.CHOSEN`) with a few seeds. Edit
# the recipe with `replace`, e.g. another dropout rate or more epochs, and rerun the cell.

# %%
SEEDS = (0,) if QUICK else (0, 1, 2)
EPOCHS = 1 if QUICK else None  # None: the recipe's own (20)


def answer(problem: str, recipe=None) -> ch3.BudgetResult:
    """Train a budget's recipe with every seed, draw the runs, print the verdict."""
    result = ch3.budget_model(data, problem, recipe=recipe, seeds=SEEDS, epochs=EPOCHS)
    bar = result.budget.set_bar
    print(
        f"{problem}: {result.recipe.describe()}\n"
        f"test accuracy per seed {', '.join(f'{a:.4f}' for a in result.test_runs)}; median "
        f"{result.median:.4f}; {result.pass_rate:.0%} of runs reach the set's {bar} "
        + ("(passes: more than half)" if result.pass_rate > 0.5 else "(fails the set's rule)")
        + (" — quick mode: one short epoch on the sample, far from the full run" if QUICK else "")
    )
    ch3.plot_budget_runs(result)
    return result


# %% tags=["figure"]
recipe_3b = replace(ch3.CHOSEN["3B"], dropout=0.1)  # try dropout=0.0 or 0.3
result_3b = answer("3B", recipe_3b)

# %% [markdown]
# ## 3C. At most 200 hidden units in at least 2 layers
#
# *The set:* reach 0.98 with at most 200 hidden units in two or more hidden layers.

# %% tags=["figure"]
result_3c = answer("3C", ch3.CHOSEN["3C"])  # try replace(ch3.CHOSEN["3C"], widths=(100, 100))

# %% [markdown]
# ## 3D. At most 1000 hidden units in at least 3 layers
#
# *The set:* reach 0.983 with at most 1000 hidden units in three or more hidden layers.

# %% tags=["figure"]
result_3d = answer("3D", ch3.CHOSEN["3D"])

# %% [markdown]
# ## study. Depth vs width: how to spend a budget
#
# *Beyond the set:* for one budget, is one wide layer or several narrow ones better? Each
# shape trains with the same short recipe and several seeds, scored on validation.

# %% tags=["figure"]
BUDGETS = (100,) if QUICK else (100, 200, 1000)
# Quick: one wide layer against two half-width ones; full: 1, 2 and 4 layers and a taper.
shapes = {
    b: ch3.study_shapes(b, depths=(1, 2))[:2] if QUICK else ch3.study_shapes(b) for b in BUDGETS
}
study = ch3.depth_width_study(
    data,
    budgets=BUDGETS,
    seeds=(0, 1) if QUICK else (0, 1, 2),
    epochs=1 if QUICK else 2,
    train_size=2_000 if QUICK else 20_000,
    tuner_trials=0,  # the chapter adds a keras-tuner search per budget
    shapes=shapes,
)
fig = ch3.plot_study(study.table)

# %%
display(Markdown("\n".join(ch3.study_findings(study.table))))
study.table[["budget", "widths", "params", "val_median", "val_min", "val_max"]]
