# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 3: depth vs width on MNIST under hidden-unit budgets
#
# Problem 3 of CS 155 set 4, worked with the `companion` library. Each section states the
# set's question, answers it with the chapter's own functions (`chapters.ch3_depth_width`),
# draws the figures and reads the numbers: the reading is the chapter's own text, the same
# as `python -m chapters.ch3_depth_width` writes in its report, chosen by this run's numbers.
# With the same seed and data (quick mode: the shipped sample) the numbers are the chapter's
# own. Change a setting in a cell and run it again.
#
# The rules for every net: a Sequential model of Dense, ReLU, Softmax, Dropout and Flatten
# layers only, categorical cross-entropy, inputs divided by 255. Only the hidden Dense
# layers' widths count toward a budget.

# %% tags=["colab"]
# On Colab this cell installs companion from its repository; elsewhere it does
# nothing (from a clone: python -m pip install -r requirements.txt). Written from
# pyproject.toml's [project.urls] by scripts/make_colab_cell.py: change the address there.
import importlib.util
import subprocess
import sys

REPOSITORY = "https://github.com/cs155-companion/companion"
if "google.colab" in sys.modules and importlib.util.find_spec("companion") is None:
    pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, f"companion[gpu] @ git+{REPOSITORY}"], check=True)
    importlib.invalidate_caches()  # so this session imports what pip just installed

# %%
import logging
import tempfile
from dataclasses import replace

from IPython.display import Markdown, display

from chapters import ch3_depth_width as ch3
from companion import load_mnist
from companion.seed import derive_seed

QUICK = True  # True: the shipped sample and 1-epoch training (under a minute); False: the set's
SEED = 0  # the base seed: every seed below is derived from it, as the chapter does


def seed_for(problem: str, part: str) -> int:
    """The seed the chapter gives one part of a problem, so the numbers match its report."""
    return derive_seed(SEED, f"{problem}:{part}")


logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notes in the outputs
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
fig = ch3.plot_digits_per_class(data, seed=seed_for("3A", "digits"))

# %%
display(Markdown(ch3.text_3a(facts)))  # the reading, as the chapter's report writes it

# %% [markdown]
# ## 3B. At most 100 hidden units
#
# *The set:* reach test accuracy 0.975 with at most 100 hidden units, on more than half of
# your training runs.
#
# The chapter's recipe for each budget is `ch3.CHOSEN[problem]`; it trains once per seed
# and is scored once on the test set. Each budget's net is written out in Keras in
# `chapters/ch3_depth_width/p3b_p3d_budgets.py` (`model_3b`, `model_3c`, `model_3d`: a
# `keras.Sequential` list of layers), and `ch3.train_recipe` there compiles and fits it.
# Edit a recipe with `replace` (widths, dropout, epochs, batch size, `max_shift` for the
# shifted-image augmentation) and rerun its cell: a shape of your own is built by
# `companion.budget.mlp` (the same layers for any widths), and `check_budget` refuses a
# net that breaks the budget's rules before it trains.

# %%
ch3.model_3b().summary()  # 3B's net: 100 hidden units, then the 10-way softmax output

# %% tags=["figure"]
N_SEEDS = ch3.SEEDS  # runs per recipe (3): the set's rule is "more than half of the runs"
EPOCHS = ch3.QUICK_EPOCHS if QUICK else None  # None: each recipe's own (20)


def seeds(problem: str) -> tuple[int, ...]:
    """The chapter's seeds for a problem's nets, one per training run."""
    return tuple(seed_for(problem, f"seed-{i}") for i in range(N_SEEDS))


RECIPE_3B = replace(ch3.CHOSEN["3B"], dropout=0.1)  # try dropout=0.0, or widths=(120,)
result_3b = ch3.budget_model(data, "3B", recipe=RECIPE_3B, seeds=seeds("3B"), epochs=EPOCHS)
# The candidates the chapter chose its recipe from, quoted from chapters/data/.
result_3b.quick, result_3b.exploration = QUICK, ch3.stored_exploration("3B")
fig = ch3.plot_budget_runs(result_3b)

# %% [markdown]
# **The reading**, as the chapter's report writes it from these numbers. Its *Why this net*
# part is the evidence for the chapter's recipe: the candidates it was chosen from, quoted
# from the full-MNIST exploration stored in `chapters/data/` (with its date and command),
# whatever recipe you trained above.

# %%
display(Markdown(ch3.text_3b(result_3b)))

# %% [markdown]
# **Try it:** retrain the candidates yourself, one seed each, scored on the validation
# split only, and set your scores beside the quoted ones. With quick mode's one epoch on the
# sample the ranking says little about the full recipes; with `QUICK = False` and
# `EXPLORE_EPOCHS = None` this is `--explore` (about two minutes a candidate on a laptop).

# %%
EXPLORE_EPOCHS = EPOCHS  # None: the candidates' own 20 epochs
mine = ch3.explore_candidates(data, "3B", seed=seed_for("3B", "explore"), epochs=EXPLORE_EPOCHS)
chosen = replace(ch3.CHOSEN["3B"], epochs=EXPLORE_EPOCHS or ch3.CHOSEN["3B"].epochs)
reading = " ".join(ch3.choice_text(ch3.mark_chosen(mine, chosen)))  # the chapter's rule
if QUICK:
    reading += "\n\n*Quick mode: this ranking says nothing about the full recipes.*"
display(Markdown(reading))
settings = ["widths", "dropout", "batch_size", "learning_rate", "max_shift"]
quoted = result_3b.exploration.table  # full MNIST, 20 epochs
side_by_side = quoted[[*settings, "chosen", "val_accuracy"]].merge(
    mine[[*settings, "epochs", "val_accuracy"]], on=settings, suffixes=(" (quoted)", " (here)")
)
side_by_side.round(4)

# %% [markdown]
# ## 3C. At most 200 hidden units in at least 2 layers
#
# *The set:* reach 0.98 with at most 200 hidden units in two or more hidden layers.

# %% tags=["figure"]
RECIPE_3C = replace(ch3.CHOSEN["3C"], widths=(150, 50))  # try (100, 100), or (200,): refused
result_3c = ch3.budget_model(data, "3C", recipe=RECIPE_3C, seeds=seeds("3C"), epochs=EPOCHS)
result_3c.quick, result_3c.exploration = QUICK, ch3.stored_exploration("3C")
fig = ch3.plot_budget_runs(result_3c)

# %% [markdown]
# **The reading**, with the candidates the chapter's recipe was chosen from:

# %%
display(Markdown(ch3.text_3c(result_3c)))

# %% [markdown]
# ## 3D. At most 1000 hidden units in at least 3 layers
#
# *The set:* reach 0.983 with at most 1000 hidden units in three or more hidden layers.

# %% tags=["figure"]
RECIPE_3D = replace(ch3.CHOSEN["3D"], widths=(334, 333, 333))  # try (500, 300, 200)
result_3d = ch3.budget_model(data, "3D", recipe=RECIPE_3D, seeds=seeds("3D"), epochs=EPOCHS)
result_3d.quick, result_3d.exploration = QUICK, ch3.stored_exploration("3D")
fig = ch3.plot_budget_runs(result_3d)

# %% [markdown]
# **The reading**, with the candidates the chapter's recipe was chosen from:

# %%
display(Markdown(ch3.text_3d(result_3d)))

# %% [markdown]
# ## study. Depth vs width: how to spend a budget
#
# *Beyond the set:* for one budget, is one wide layer or several narrow ones better? Each
# shape trains with the same short recipe and several seeds, scored on the validation
# split; then a keras-tuner random search per budget (`companion.search`) draws depth,
# taper and dropout, every draw within the budget. Try another budget, e.g. `(300,)`, or
# your own shapes, e.g. `{300: [(300,), (150, 150), (100, 100, 100)]}`.

# %% tags=["figure"]
BUDGETS = ch3.STUDY_BUDGETS[:1] if QUICK else ch3.STUDY_BUDGETS  # hidden units: (100, 200, 1000)
# Quick: one wide layer against two half-width ones; None: 1, 2 and 4 even layers and a taper.
SHAPES = {b: ch3.study_shapes(b, depths=(1, 2))[:2] for b in BUDGETS} if QUICK else None
STUDY_SEEDS = 2 if QUICK else ch3.STUDY_SEEDS
STUDY_EPOCHS = 1 if QUICK else ch3.STUDY_EPOCHS
TRAIN_IMAGES = ch3.QUICK_STUDY_TRAIN if QUICK else ch3.STUDY_TRAIN
TUNER_TRIALS = ch3.TUNER_TRIALS  # draws per budget; 0: no search
WORKERS = 0  # 0: the trials run in this kernel; n: in n worker processes
with tempfile.TemporaryDirectory() as search_dir:  # the searches' keras-tuner projects
    study = ch3.depth_width_study(
        data,
        budgets=BUDGETS,
        seeds=tuple(seed_for("study", f"seed-{i}") for i in range(STUDY_SEEDS)),
        epochs=STUDY_EPOCHS,
        train_size=TRAIN_IMAGES,
        tuner_trials=TUNER_TRIALS,
        tuner_dir=search_dir,
        tuner_seed=seed_for("study", "tuner"),
        shapes=SHAPES,
        workers=WORKERS,
    )
study.quick = QUICK
fig = ch3.plot_study(study.table, study.trials)

# %% [markdown]
# **The reading**, as the chapter's report writes it from these numbers:

# %%
display(Markdown(ch3.text_study(study)))
