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
# # The Otter Assign settings: `python notebooks/assign.py ch2_inside OUT` makes the student
# # notebook (no solutions, no readings) and the Gradescope autograder from this master.
# name: ch2_inside
# run_tests: false
# init_cell: false  # the grader starts in the imports cell, below
# check_all_cell: false
# export_cell: false
# strip_solutions_from_all_cells: true
# generate: true
# requirements: requirements.txt

# %% [markdown]
# # Chapter 2: inside a neural network, linear nets on COVID-19 case data
#
# Problem 2 of CS 155 set 4 (2023), worked with the `companion` library and the chapter's own
# functions (`chapters.ch2_inside`). Change a setting in a cell and run it again.
# Each model is written out in Keras, summarised, compiled, fitted with live curves and
# evaluated, in that order; the chapter then reads the trained model. The exercises at the
# end vary what the set varies.
# `python -m chapters.ch2_inside` runs the same problems and writes a full report.
#
# **The data.** The set uses a CDC file (*COVID-19 Case Surveillance Public Use Data*, a
# subset) that cannot be downloaded here. Set `CSV` to your copy to use it; otherwise the
# notebook makes **synthetic** cases in the same layout, with invented death rates: the
# numbers then show the method, not facts about COVID-19.

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

from chapters import ch2_inside as ch2
from companion import load_covid_csv, plot_history, set_seed, synthetic_covid
from companion.data.covid import LEVELS, sample_cases
from companion.tabular.plots import (
    plot_feature_bars,
    plot_loss_curves,
    plot_outcome_rates,
    plot_weight_matrix,
)
from companion.tabular.prepare import prepare_covid

QUICK = True  # True: 20,000 synthetic cases (about a minute in all); False: 400,000
CSV = None  # or your copy of COVID-19_Case_Surveillance_Public_Use_Data_Subset.csv
SEED = 0
logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notes in the outputs
set_seed(SEED)

# %%
import inspect

import keras
import numpy as np
from IPython.display import Markdown, display

import companion
from companion.callbacks import TrainingCurves
from companion.seed import seed_for

SEED_2C = seed_for("2C", "one_linear_layer", SEED)  # the command line's seed for 2C's net

# %% tags=["grader"]
# The student version's `grader` for `grader.check`: notebooks/assign.py writes this
# cell there (otter-grader, with the public tests in the cell, so the checks run on
# Colab too). Here the "your model" cells print the same checks through companion.check.

# %% [markdown]
# ## 2A. Installation: versions and devices
#
# *The set:* install the framework and report its version numbers.

# %%
env = ch2.environment()
print(f"Keras backend: {env.backend}; devices: {', '.join(env.devices) or 'none reported'}")
env.versions

# %% [markdown]
# ## 2B. The data: preprocessing with pandas
#
# *The set:* load the case data, keep 7 to 12 inputs with `death_yn` as the outcome, and
# explain the preprocessing (missing values, strings to numbers, scaling, the imbalance).

# %%
if CSV:
    frame = load_covid_csv(CSV)
    if QUICK:
        frame = sample_cases(frame, 20_000, seed=SEED)  # keeps the file's name and marker
else:
    frame = synthetic_covid(20_000 if QUICK else 400_000, seed=SEED)
# Try dates="numeric", encoding="onehot", balance="weights" or "none", another ratio.
data = prepare_covid(
    frame, dates="drop", encoding="factorize", balance="undersample", ratio=5.0, seed=SEED
)
data.steps

# %% tags=["figure"]
known = frame[frame["death_yn"].isin(["Yes", "No"])]
tag = " [SYNTHETIC data]" if frame.attrs.get("synthetic") else ""
fig = plot_outcome_rates(
    known,
    ("age_group", "hosp_yn"),
    levels=LEVELS,
    ylabel="deaths (%)",
    title=f"Death rate among cases with a known outcome{tag}",
)

# %%
print(
    f"{data.input_dim} inputs: {', '.join(data.feature_names)}.\n"
    f"{len(known):,} of {len(frame):,} cases have a known outcome; "
    f"{(known['death_yn'] == 'Yes').mean():.1%} of them died. Split and rebalanced "
    f"({data.settings['balance']}): {len(data.y_train):,} training rows "
    f"({data.y_train.mean():.1%} deaths), {len(data.y_val):,} validation and "
    f"{len(data.y_test):,} test rows with the real mix."
)

# %% [markdown]
# ## 2C. A linear neural network
#
# *The set:* a net with one linear hidden layer of 5 units (no activation) and a two-way
# softmax output; train and test it, show the losses and the test accuracy, and draw the
# first layer's weights as a heatmap.

# %% [raw]
# # BEGIN QUESTION
# name: q2c
# points: 2

# %% [markdown]
# **Your model.** Write 2C's net in Keras below as `model`: the inputs (`data.input_dim`
# of them), one `Dense` hidden layer of 5 units with no activation, named `"hidden_1"`
# (the weight heatmap reads it), then a `Dense(2)` and a `Softmax`. `companion.check(model,
# "2C", data)` holds it to the set's structure and scores it on the test split.

# %% [raw]
# # BEGIN SOLUTION

# %%
keras.utils.set_random_seed(SEED_2C)  # the net's start: the same on every run
# BEGIN SOLUTION
model = keras.Sequential(
    [
        keras.Input(shape=(data.input_dim,)),
        keras.layers.Dense(5, name="hidden_1"),  # no activation: x W + b, nothing more
        keras.layers.Dense(2, name="output"),
        keras.layers.Softmax(name="softmax"),  # P(survived), P(died)
    ],
    name="one_linear_layer",
)
# END SOLUTION
model.summary()

# %% [raw]
# # END SOLUTION

# %% [markdown]
# Compile with the staff's choices: Adam, the cross-entropy of the softmax (sparse: the
# labels stay 0/1), accuracy reported. Then fit, watching the curves redraw each epoch.

# %%
LEARNING_RATE = 1e-3  # Adam's; try 1e-2 or 1e-4
EPOCHS = 20  # the staff's
BATCH_SIZE = 32
model.compile(
    optimizer=keras.optimizers.Adam(LEARNING_RATE),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
    steps_per_execution=32,  # fewer Python round trips per epoch; the same steps
)

# %% tags=["figure"]
history = model.fit(
    data.x_train,
    data.y_train,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    validation_data=(data.x_val, data.y_val),
    class_weight=data.class_weight,  # None unless balance="weights"
    callbacks=[TrainingCurves(every=5, title=f"one linear hidden layer of 5{tag}")],
    verbose=0,
)

# %%
test_loss, test_accuracy = model.evaluate(data.x_test, data.y_test, verbose=0)
print(f"test loss {test_loss:.4f}, test accuracy {test_accuracy:.2%}")
one = ch2.score_net(model, history, data, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE)
print(companion.check(model, "2C", data))  # the set's structure, and ROC AUC against chance

# %% [raw]
# # BEGIN TESTS

# %%
verdict = companion.check(model, "2C", data)
assert verdict.passed, verdict

# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG
p = model.predict(data.x_test[:50], verbose=0)
assert p.shape == (50, 2) and np.allclose(p.sum(axis=1), 1, atol=1e-4), "a 2-way softmax"

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% tags=["figure"]
weights = one.first_layer_weights()  # 5 units x the inputs
fig = plot_weight_matrix(weights, data.feature_names, title=f"first-layer weights{tag}")

# %%
# The set's reading of these numbers (write your own in a Markdown cell below).
# BEGIN SOLUTION NO PROMPT
display(Markdown(ch2.text_2c(one)))
# END SOLUTION

# %% [markdown]
# ## 2D. A two-layer linear neural network
#
# *The set:* add a second linear hidden layer; the one- and two-layer nets should reach very
# similar losses. Why, and can you see it in the code?
#
# Both nets are written out in the chapter (`chapters/ch2_inside/p2d_collapse.py`):
# `two_linear_layers` (two `Dense(5)` without activation) and, to compare, `two_relu_layers`
# (a `ReLU()` after each). `ch2.train_linear_net` seeds, builds, compiles and fits them
# exactly as the cells above did for 2C's net.

# %%
print(inspect.getsource(ch2.two_linear_layers))

# %% tags=["figure"]
two = ch2.train_linear_net(
    data, ch2.two_linear_layers, epochs=EPOCHS, learning_rate=LEARNING_RATE, seed=SEED
)
relu = ch2.train_linear_net(
    data, ch2.two_relu_layers, epochs=EPOCHS, learning_rate=LEARNING_RATE, seed=SEED
)
two.model.summary()
collapse = ch2.collapse_demo(one, two, relu)  # compared on the test split
histories = {name: net.history for name, net in collapse.nets.items()}
fig = plot_loss_curves(histories, title=f"one vs two linear hidden layers, and a ReLU net{tag}")

# %% tags=["figure"]
fig = plot_history(two.history, title=f"two linear hidden layers of 5{tag}")

# %% tags=["figure"]
log_odds = {"one linear layer": one.log_odds(), "two linear layers": two.log_odds()}
fig = plot_feature_bars(log_odds, data.feature_names, ylabel="log-odds per s.d.")

# %%
# The set's reading of these numbers (write your own in a Markdown cell below).
# BEGIN SOLUTION NO PROMPT
gap = abs(one.final_val_loss - two.final_val_loss)
print(
    f"Validation loss: one layer {one.final_val_loss:.4f}, two layers "
    f"{two.final_val_loss:.4f} ({gap:.4f} apart), ReLU {relu.final_val_loss:.4f}.\n"
    f"Multiplied out into one layer, the two-layer net's predictions change by at most "
    f"{collapse.collapsed_max_abs_diff:.1e} (float32 rounding): (x W1 + b1) W2 + b2 = "
    f"x (W1 W2) + (b1 W2 + b2), one linear map. The same product for the ReLU net, ignoring "
    f"the ReLUs, moves its predictions by up to {collapse.relu_collapse_max_abs_diff:.2f}: "
    "the kink is what lets depth add functions."
)
display(Markdown(ch2.text_2d(collapse)))
# END SOLUTION

# %% [markdown]
# ## Exercises
#
# Each exercise varies one thing the set varies. Write your answer in the cell (the
# instructor's version holds a worked one), then say in a sentence what the numbers show.
# `EXERCISE_EPOCHS` keeps them short in quick mode.

# %%
EXERCISE_EPOCHS = 3 if QUICK else EPOCHS


def fit_and_score(net: keras.Model, learning_rate: float = LEARNING_RATE):
    """Compile and fit `net` as 2C's was, then score it on the test split (a NetResult)."""
    net.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=32,
    )
    fitted = net.fit(
        data.x_train,
        data.y_train,
        epochs=EXERCISE_EPOCHS,
        batch_size=BATCH_SIZE,
        validation_data=(data.x_val, data.y_val),
        verbose=0,
    )
    return ch2.score_net(net, fitted, data, batch_size=BATCH_SIZE, learning_rate=learning_rate)


# %% [markdown]
# **Exercise 1 (width).** Train linear nets (no activation) with hidden widths 1, 2, 5 and
# 16 and print each one's ROC AUC. Predict first: should the width matter for a linear net
# with a 2-way softmax? (Hint: what does 2D's multiplication give for width 1?)

# %%
# BEGIN SOLUTION
for width in (1, 2, 5, 16):
    keras.utils.set_random_seed(SEED_2C)
    net = keras.Sequential(
        [
            keras.Input(shape=(data.input_dim,)),
            keras.layers.Dense(width, name="hidden_1"),
            keras.layers.Dense(2),
            keras.layers.Softmax(),
        ]
    )
    result = fit_and_score(net)
    print(f"width {width:2d}: ROC AUC {result.scores['roc_auc']:.3f}")
# END SOLUTION

# %% [markdown]
# **Exercise 2 (learning rate).** Train 2C's net with Adam at 1e-4, 1e-3 and 1e-2 for
# `EXERCISE_EPOCHS` epochs and print the final validation loss of each. Which rate gets
# there in so few epochs, and which one is noisy?

# %%
# BEGIN SOLUTION
for rate in (1e-4, 1e-3, 1e-2):
    keras.utils.set_random_seed(SEED_2C)
    net = keras.models.clone_model(model)  # your 2C net's layers, freshly initialised
    result = fit_and_score(net, learning_rate=rate)
    print(f"Adam {rate:g}: final validation loss {result.final_val_loss:.4f}")
# END SOLUTION

# %% [markdown]
# **Exercise 3 (activation and depth).** Give 2D's two hidden layers of 5 an activation:
# none, `"relu"` and `"tanh"`. Print each one's validation loss and ROC AUC. Does a
# non-linearity help on this data, and why might it help little?

# %%
# BEGIN SOLUTION
for activation in (None, "relu", "tanh"):
    keras.utils.set_random_seed(SEED_2C)
    net = keras.Sequential(
        [
            keras.Input(shape=(data.input_dim,)),
            keras.layers.Dense(5, activation=activation, name="hidden_1"),
            keras.layers.Dense(5, activation=activation),
            keras.layers.Dense(2),
            keras.layers.Softmax(),
        ]
    )
    result = fit_and_score(net)
    print(
        f"activation {activation or 'none'}: validation loss {result.final_val_loss:.4f}, "
        f"ROC AUC {result.scores['roc_auc']:.3f}"
    )
# END SOLUTION
