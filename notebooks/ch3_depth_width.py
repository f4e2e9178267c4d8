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

# %% [raw]
# # ASSIGNMENT CONFIG
# # The Otter Assign settings: `python notebooks/assign.py ch3_depth_width OUT` makes the
# # student notebook (no solutions, no readings) and the Gradescope autograder from this master.
# name: ch3_depth_width
# run_tests: false
# init_cell: false  # the grader starts in the imports cell, below
# check_all_cell: false
# export_cell: false
# strip_solutions_from_all_cells: true
# generate: true
# requirements: requirements.txt

# %% [markdown]
# # Chapter 3: depth vs width on MNIST under hidden-unit budgets
#
# Problem 3 of CS 155 set 4, worked with the `companion` library and the chapter's own
# functions (`chapters.ch3_depth_width`). Each budget's net is written out in Keras,
# summarised, compiled, fitted with live curves and evaluated, in that order; the chapter
# then trains the same net with its other seeds and reads the numbers, the same reading as
# `python -m chapters.ch3_depth_width` writes in its report. With the same seed and data
# (quick mode: the shipped sample) the first run is the command line's. Change a setting in
# a cell and run it again; the exercises at the end vary what the set varies.
#
# The rules for every net: a Sequential model of Dense, ReLU, Softmax, Dropout and Flatten
# layers only, categorical cross-entropy, inputs divided by 255. Only the hidden Dense
# layers' widths count toward a budget. `companion.check(model, "3B", data)` holds a net to
# its problem's rules and bar.

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
from companion import load_mnist, seed_for, set_seed

QUICK = True  # True: the shipped sample and 1-epoch training (about a minute); False: the set's
SEED = 0  # the base seed: seed_for(problem, part, SEED) gives the command line's seeds
logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notes in the outputs
# Full MNIST: load_mnist() looks for $COMPANION_MNIST, then Keras' cache or download.
data = load_mnist(flatten=True, sample=QUICK)
print(data.description)

# %%
import inspect

import keras

import companion
from companion.augment import shifted_batches
from companion.callbacks import EpochTimer, TrainingCurves
from companion.training import cosine_adam, one_hot, steps_per_run

N_SEEDS = ch3.SEEDS  # runs per net (3): the set's rule is "more than half of the runs"
EPOCHS = ch3.QUICK_EPOCHS if QUICK else None  # None: each recipe's own (20)


def seeds(problem: str) -> tuple[int, ...]:
    """The command line's seeds for a problem's nets, one per training run."""
    return tuple(seed_for(problem, f"seed-{i}", SEED) for i in range(N_SEEDS))


def recipe(problem: str):
    """The chapter's training settings for `problem` (its epochs cut in quick mode)."""
    chosen = ch3.CHOSEN[problem]
    return replace(chosen, epochs=EPOCHS or chosen.epochs)


# %% tags=["grader"]
# The student version's `grader` for `grader.check`: notebooks/assign.py writes this
# cell there (otter-grader, with the public tests in the cell, so the checks run on
# Colab too). Here the "your model" cells print the same checks through companion.check.

# %% [markdown]
# ## 3A. The data
#
# *The set:* what are the images' height and width, what does each entry mean, and how many
# training and test images are there?

# %% tags=["figure"]
facts = ch3.data_facts(data)
fig = ch3.plot_digits_per_class(data, seed=seed_for("3A", "digits", SEED))

# %%
# The set's reading (write your own in a Markdown cell below).
# BEGIN SOLUTION NO PROMPT
display(Markdown(ch3.text_3a(facts)))
# END SOLUTION

# %% [markdown]
# ## 3B. At most 100 hidden units
#
# *The set:* reach test accuracy 0.975 with at most 100 hidden units, on more than half of
# your training runs.

# %% [raw]
# # BEGIN QUESTION
# name: q3b
# points: 2

# %% [markdown]
# **Your model.** Write a net for 3B as `model_3b`: a `keras.Sequential` that takes the 784
# pixels (`keras.Input(shape=(784,))`), at most 100 hidden units in `Dense` layers, each
# followed by a `ReLU()` (and a `Dropout` if you like), then a `Dense(10)` and a `Softmax()`.
# `companion.check(model_3b, "3B", data)` holds it to the set's rules; the bar (0.975) is
# for the full data and training (`QUICK = False`).

# %% [raw]
# # BEGIN SOLUTION

# %%
set_seed(seeds("3B")[0])  # the first run's start: the command line's
# BEGIN SOLUTION
model_3b = keras.Sequential(
    [
        keras.Input(shape=(784,)),  # a flattened 28 x 28 image, divided by 255
        keras.layers.Dense(100),  # the whole budget in one layer
        keras.layers.ReLU(),
        keras.layers.Dropout(0.1),  # try 0.0 or 0.3
        keras.layers.Dense(10),  # the output layer: one unit per digit, not counted
        keras.layers.Softmax(),
    ],
    name="net_3b",
)
# END SOLUTION
model_3b.summary()

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
verdict = companion.check(model_3b, "3B", data)  # the bar needs the full data and training
assert not {rule.name for rule in verdict.broken} - {"test accuracy"}, verdict

# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG
assert QUICK or companion.check(model_3b, "3B", data).passed, "3B's bar on full MNIST"

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# **Compile and fit** as the chapter does (`ch3.train_recipe`): Adam with its rate
# cosine-decayed to 0 over the run, categorical cross-entropy on one-hot labels, batches
# shuffled and shifted by up to a pixel afresh every epoch (`shifted_batches`). The two
# functions below do the same for 3C and 3D.

# %%
RECIPE_3B = recipe("3B")  # try replace(recipe("3B"), learning_rate=1e-3, batch_size=64)


def compile_net(model: keras.Model, settings, split=data) -> None:
    """Compile as the chapter does: Adam cosine-decayed to 0 over the run's steps."""
    steps = steps_per_run(len(split.x_train), settings.batch_size, settings.epochs)
    model.compile(
        optimizer=cosine_adam(settings.learning_rate, steps),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=8,  # fewer Python round trips per epoch; the same maths
    )


def fit_net(model: keras.Model, settings, seed: int, *, curves: bool = True, split=data):
    """Fit on shuffled, shifted batches (seeded), validating each epoch; returns the History."""
    batches = shifted_batches(
        split.x_train,
        one_hot(split.y_train),
        batch_size=settings.batch_size,
        max_shift=settings.max_shift,
        seed=seed,
    )
    title = f"{model.name}, seed {seed}"
    return model.fit(
        batches,
        epochs=settings.epochs,
        shuffle=False,  # the batches come shuffled; fit cannot reshuffle a pipeline
        validation_data=(split.x_val, one_hot(split.y_val)),
        callbacks=[EpochTimer(), *([TrainingCurves(title=title)] if curves else [])],
        verbose=0,
    )


compile_net(model_3b, RECIPE_3B)

# %% tags=["figure"]
history_3b = fit_net(model_3b, RECIPE_3B, seeds("3B")[0])

# %%
loss, accuracy = model_3b.evaluate(data.x_test, one_hot(data.y_test), verbose=0)
print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")
print(companion.check(model_3b, "3B", data))

# %% [markdown]
# **Over seeds.** The set asks for the bar on more than half of the runs: the chapter trains
# copies of `model_3b` with the other seeds (the run above is the first) and scores each on
# the test set once.

# %% tags=["figure"]
result_3b = ch3.budget_model(
    data, "3B", recipe=RECIPE_3B, seeds=seeds("3B"), trained=(model_3b, history_3b)
)
# The candidates the chapter chose its net from, quoted from chapters/data/.
result_3b.quick, result_3b.exploration = QUICK, ch3.stored_exploration("3B")
fig = ch3.plot_budget_runs(result_3b)

# %%
# The set's reading (write your own in a Markdown cell below). Its *Why this net* part
# quotes the candidates the chapter's recipe was chosen from (full MNIST, 20 epochs).
# BEGIN SOLUTION NO PROMPT
display(Markdown(ch3.text_3b(result_3b)))
# END SOLUTION

# %% [markdown]
# ## 3C. At most 200 hidden units in at least 2 layers
#
# *The set:* reach 0.98 with at most 200 hidden units in two or more hidden layers.

# %% [raw]
# # BEGIN QUESTION
# name: q3c
# points: 2

# %% [markdown]
# **Your model.** Write `model_3c` as you wrote 3B's: at most 200 hidden units in at least
# two hidden `Dense` layers, each followed by a `ReLU()`.

# %% [raw]
# # BEGIN SOLUTION

# %%
set_seed(seeds("3C")[0])
# BEGIN SOLUTION
model_3c = keras.Sequential(
    [
        keras.Input(shape=(784,)),
        keras.layers.Dense(150),  # 150 + 50 = 200, tapering towards the output
        keras.layers.ReLU(),
        keras.layers.Dropout(0.1),
        keras.layers.Dense(50),
        keras.layers.ReLU(),
        keras.layers.Dropout(0.1),
        keras.layers.Dense(10),
        keras.layers.Softmax(),
    ],
    name="net_3c",
)
# END SOLUTION
model_3c.summary()

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
verdict = companion.check(model_3c, "3C", data)
assert not {rule.name for rule in verdict.broken} - {"test accuracy"}, verdict

# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG
assert QUICK or companion.check(model_3c, "3C", data).passed, "3C's bar on full MNIST"

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %%
RECIPE_3C = recipe("3C")
compile_net(model_3c, RECIPE_3C)

# %% tags=["figure"]
history_3c = fit_net(model_3c, RECIPE_3C, seeds("3C")[0])

# %%
loss, accuracy = model_3c.evaluate(data.x_test, one_hot(data.y_test), verbose=0)
print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")
print(companion.check(model_3c, "3C", data))

# %% tags=["figure"]
result_3c = ch3.budget_model(
    data, "3C", recipe=RECIPE_3C, seeds=seeds("3C"), trained=(model_3c, history_3c)
)
result_3c.quick, result_3c.exploration = QUICK, ch3.stored_exploration("3C")
fig = ch3.plot_budget_runs(result_3c)

# %%
# The set's reading (write your own in a Markdown cell below).
# BEGIN SOLUTION NO PROMPT
display(Markdown(ch3.text_3c(result_3c)))
# END SOLUTION

# %% [markdown]
# ## 3D. At most 1000 hidden units in at least 3 layers
#
# *The set:* reach 0.983 with at most 1000 hidden units in three or more hidden layers.

# %% [raw]
# # BEGIN QUESTION
# name: q3d
# points: 2

# %% [markdown]
# **Your model.** Write `model_3d`: at most 1000 hidden units in at least three hidden
# `Dense` layers, each followed by a `ReLU()`.

# %% [raw]
# # BEGIN SOLUTION

# %%
set_seed(seeds("3D")[0])
# BEGIN SOLUTION
model_3d = keras.Sequential(
    [
        keras.Input(shape=(784,)),
        keras.layers.Dense(334),  # 334 + 333 + 333 = 1000 in three even layers
        keras.layers.ReLU(),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(333),
        keras.layers.ReLU(),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(333),
        keras.layers.ReLU(),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10),
        keras.layers.Softmax(),
    ],
    name="net_3d",
)
# END SOLUTION
model_3d.summary()

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
verdict = companion.check(model_3d, "3D", data)
assert not {rule.name for rule in verdict.broken} - {"test accuracy"}, verdict

# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG
assert QUICK or companion.check(model_3d, "3D", data).passed, "3D's bar on full MNIST"

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %%
RECIPE_3D = recipe("3D")
compile_net(model_3d, RECIPE_3D)

# %% tags=["figure"]
history_3d = fit_net(model_3d, RECIPE_3D, seeds("3D")[0])

# %%
loss, accuracy = model_3d.evaluate(data.x_test, one_hot(data.y_test), verbose=0)
print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")
print(companion.check(model_3d, "3D", data))

# %% tags=["figure"]
result_3d = ch3.budget_model(
    data, "3D", recipe=RECIPE_3D, seeds=seeds("3D"), trained=(model_3d, history_3d)
)
result_3d.quick, result_3d.exploration = QUICK, ch3.stored_exploration("3D")
fig = ch3.plot_budget_runs(result_3d)

# %%
# The set's reading (write your own in a Markdown cell below).
# BEGIN SOLUTION NO PROMPT
display(Markdown(ch3.text_3d(result_3d)))
# END SOLUTION

# %% [markdown]
# **How the chapter chose its nets.** The chapter's `train_recipe` (below) is what the cells
# above spell out. `ch3.explore_candidates` retrains the candidates each net was chosen
# from, one seed each, scored on the validation split only; with quick mode's one epoch on
# the sample the ranking says little about the full recipes; with `QUICK = False` this is
# `--explore` (about two minutes a candidate on a laptop).

# %%
print(inspect.getsource(ch3.train_recipe))

# %%
mine = ch3.explore_candidates(data, "3B", seed=seed_for("3B", "explore", SEED), epochs=EPOCHS)
chosen = replace(ch3.CHOSEN["3B"], epochs=EPOCHS or ch3.CHOSEN["3B"].epochs)
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
        seeds=tuple(seed_for("study", f"seed-{i}", SEED) for i in range(STUDY_SEEDS)),
        epochs=STUDY_EPOCHS,
        train_size=TRAIN_IMAGES,
        tuner_trials=TUNER_TRIALS,
        tuner_dir=search_dir,
        tuner_seed=seed_for("study", "tuner", SEED),
        shapes=SHAPES,
        workers=WORKERS,
    )
study.quick = QUICK
fig = ch3.plot_study(study.table, study.trials)

# %%
# The chapter's reading of the study (write your own in a Markdown cell below).
# BEGIN SOLUTION NO PROMPT
display(Markdown(ch3.text_study(study)))
# END SOLUTION

# %% [markdown]
# ## Exercises
#
# Each exercise varies one thing the set varies, on 3B's budget of 100 hidden units unless
# it says otherwise. Write your answer in the cell (the instructor's version holds a worked
# one), then say in a sentence what the numbers show. Each net trains `EXERCISE_EPOCHS`
# epochs with 3B's settings and one seed (quick mode: one epoch on 2,000 of the sample's
# training images), scored on the validation split: one short run each, so differences
# under a point or two may be noise.

# %%
EXERCISE_EPOCHS = 1 if QUICK else 5
EXERCISE = replace(RECIPE_3B, epochs=EXERCISE_EPOCHS)
EXERCISE_DATA = data.subset(train=2_000) if QUICK else data
EXERCISE_SEED = seed_for("exercises", "seed-0", SEED)


def validation_accuracy(net: keras.Model, settings=EXERCISE) -> float:
    """Compile and fit `net` as 3B's was (no curves), then its accuracy on the validation split."""
    compile_net(net, settings, EXERCISE_DATA)
    fit_net(net, settings, EXERCISE_SEED, curves=False, split=EXERCISE_DATA)
    return net.evaluate(data.x_val, one_hot(data.y_val), verbose=0)[1]


# %% [markdown]
# **Exercise 1 (width).** Train one-hidden-layer nets of 25, 50 and 100 ReLU units (no
# dropout) and print each one's validation accuracy and parameter count. How much does each
# doubling of the width buy?

# %%
# BEGIN SOLUTION
for width in (25, 50, 100):
    set_seed(EXERCISE_SEED)
    net = companion.mlp((width,), dropout=0.0)
    print(f"width {width:3d}: {validation_accuracy(net):.4f}, {net.count_params():,} parameters")
# END SOLUTION

# %% [markdown]
# **Exercise 2 (depth).** Spend 200 hidden units as one layer, two layers of 100 and four
# of 50 (no dropout). Which depth does best here, and is the difference larger than the
# seed-to-seed spread you saw in 3C?

# %%
# BEGIN SOLUTION
for widths in ((200,), (100, 100), (50, 50, 50, 50)):
    set_seed(EXERCISE_SEED)
    net = companion.mlp(widths, dropout=0.0)
    print(f"{'-'.join(map(str, widths)):>12}: {validation_accuracy(net):.4f}")
# END SOLUTION

# %% [markdown]
# **Exercise 3 (activation).** Give 3B's single layer of 100 units a `tanh` or a `sigmoid`
# activation in place of the ReLU (`keras.layers.Activation("tanh")`). `companion.check`
# refuses both under the set's rules; does either train as well in this many epochs?

# %%
# BEGIN SOLUTION
for activation in ("relu", "tanh", "sigmoid"):
    set_seed(EXERCISE_SEED)
    net = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(100),
            keras.layers.Activation(activation),
            keras.layers.Dense(10),
            keras.layers.Softmax(),
        ]
    )
    print(f"{activation:>8}: {validation_accuracy(net):.4f}")
# END SOLUTION

# %% [markdown]
# **Exercise 4 (dropout and learning rate).** Train 3B's net with dropout 0, 0.1 and 0.3,
# then with Adam's peak rate at 1e-3 and 1e-2 (`replace(EXERCISE, learning_rate=...)`).
# Which setting matters more over so few epochs?

# %%
# BEGIN SOLUTION
for rate in (0.0, 0.1, 0.3):
    set_seed(EXERCISE_SEED)
    print(f"dropout {rate:g}: {validation_accuracy(companion.mlp((100,), dropout=rate)):.4f}")
for peak in (1e-3, 1e-2):
    set_seed(EXERCISE_SEED)
    net = companion.mlp((100,), dropout=0.1)
    print(f"Adam {peak:g}: {validation_accuracy(net, replace(EXERCISE, learning_rate=peak)):.4f}")
# END SOLUTION
