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
# # Chapter 2: inside a neural network, linear nets on COVID-19 case data
#
# Problem 2 of CS 155 set 4 (2023), worked with the `companion` library and the chapter's own
# functions (`chapters.ch2_inside`). Change a setting in a cell and run it again.
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
#
# The net is written out in `chapters/ch2_inside/p2c_linear_net.py` as `one_linear_layer`: a
# `keras.Sequential([keras.Input(...), Dense(5), Dense(2), Softmax()])` list with no
# activation in the hidden layer. `train_linear_net` seeds and builds it, compiles it (Adam,
# sparse categorical cross-entropy, accuracy), calls `model.fit` and scores the test split.

# %%
EPOCHS = 20  # the staff's
LEARNING_RATE = 1e-3  # Adam's; try 1e-2 or 1e-4
one = ch2.train_linear_net(
    data, ch2.one_linear_layer, epochs=EPOCHS, learning_rate=LEARNING_RATE, seed=SEED
)
one.model.summary()
one.scores

# %% tags=["figure"]
plot_history(one.history, title=f"one linear hidden layer of 5{tag}")

# %% tags=["figure"]
weights = one.first_layer_weights()  # 5 units x the inputs
fig = plot_weight_matrix(weights, data.feature_names, title=f"first-layer weights{tag}")

# %%
s = one.scores
print(
    f"Test accuracy {s['test_accuracy']:.2%} against {s['baseline_accuracy']:.2%} for always "
    f"answering No: accuracy says little on a rare outcome. Balanced accuracy "
    f"{s['balanced_accuracy']:.3f} (0.5 is chance) and ROC AUC {s['roc_auc']:.3f}: the net "
    f"scores a random death above a random survivor {s['roc_auc']:.0%} of the time."
)

# %% [markdown]
# ## 2D. A two-layer linear neural network
#
# *The set:* add a second linear hidden layer; the one- and two-layer nets should reach very
# similar losses. Why, and can you see it in the code?
#
# Both nets are written out in `chapters/ch2_inside/p2d_collapse.py`: `two_linear_layers`
# (two `Dense(5)` without activation) and, to compare, `two_relu_layers` (a `ReLU()` after
# each). They train exactly as 2C's net does.

# %% tags=["figure"]
two = ch2.train_linear_net(
    data, ch2.two_linear_layers, epochs=EPOCHS, learning_rate=LEARNING_RATE, seed=SEED
)
relu = ch2.train_linear_net(
    data, ch2.two_relu_layers, epochs=EPOCHS, learning_rate=LEARNING_RATE, seed=SEED
)
collapse = ch2.collapse_demo(one, two, relu)  # compared on the test split
histories = {name: net.history for name, net in collapse.nets.items()}
fig = plot_loss_curves(histories, title=f"one vs two linear hidden layers, and a ReLU net{tag}")

# %% tags=["figure"]
log_odds = {"one linear layer": one.log_odds(), "two linear layers": two.log_odds()}
fig = plot_feature_bars(log_odds, data.feature_names, ylabel="log-odds per s.d.")

# %%
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
