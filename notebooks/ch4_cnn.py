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
# # Chapter 4: convolutional neural networks on MNIST
#
# Problem 4 of CS 155 set 4, worked with the `companion` library and the chapter's own
# functions (`chapters.ch4_cnn`). Change a setting in a cell and run it again.
# `python -m chapters.ch4_cnn` runs the same problems and writes a full report.

# %%
# On Colab or in a fresh environment, install the companion first (remove the leading #):
# # !pip install "companion @ git+https://github.com/OWNER/companion"
import logging
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from chapters import ch4_cnn as ch4
from companion import load_mnist, one_hot, plot_heatmap, plot_lines, set_seed
from companion.tuning import plot_grid_heatmap

QUICK = True  # True: the shipped sample and short training (about a minute); False: full MNIST
SEED = 0
RUN = Path("runs") / "ch4_notebook"  # where the tuner and the trained model are written
logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notes in the outputs
set_seed(SEED)
# Full MNIST: load_mnist() looks for $COMPANION_MNIST, then Keras' cache or download.
data = load_mnist(sample=QUICK)
print(data.description)

# %% [markdown]
# ## 4A. Zero padding
#
# *The set:* a convolution is applied to every 8 × 8 patch of a 20 × 20 image. Give one
# benefit and one drawback of zero padding, against using only the patches inside the image.

# %% tags=["figure"]
padding = ch4.zero_padding(image=20, patch=8)
valid, same = padding.coverage_valid, padding.coverage_same
fig, axes = plt.subplots(1, 2, figsize=(12, 5))
fig.suptitle("How many 8 × 8 patches see each pixel")
for ax, coverage, name in ((axes[0], valid, "no padding"), (axes[1], same, "zero padding")):
    plot_heatmap(coverage, ax=ax, fmt="{:.0f}", vmin=0, vmax=same.max(), title=name)

# %%
middle = padding.image // 2
print(
    f"Without padding a corner pixel is in {valid[0, 0]} patch and a central one in "
    f"{valid[middle, middle]}: the border is under-represented, and the output shrinks "
    f"({padding.image - padding.patch + 1}² positions). With zero padding the corner is in "
    f"{same[0, 0]} patches and the output keeps its size, but those patches are mostly zeros: "
    "an artificial dark border, and more work."
)
padding.stack  # output sizes through a stack of 3 × 3 convolutions

# %% [markdown]
# ## 4B. Parameters and output shape of a 5×5 convolution
#
# *The set:* a 32 × 32 × 3 input, 8 filters of 5 × 5 × 3, stride 1, no padding: how many
# parameters (biases included), and what output shape?

# %%
count = ch4.conv_count(input_shape=(32, 32, 3), filters=8, kernel=5, stride=1, padding="valid")
print(
    f"By formula: 8 · (5 · 5 · 3 + 1) = {count.params} parameters, output {count.output_shape}.\n"
    f"Keras: {count.keras_params} parameters, output {count.keras_output_shape}."
)

# %% [markdown]
# ## 4C. Average and max pooling
#
# *The set:* four 4 × 4 inputs, each with a 3 × 3 block of ones in one corner: the outputs
# of 2 × 2 average pooling and of 2 × 2 max pooling, stride 2.

# %% tags=["figure"]
pools = ch4.pooling(pool=2, stride=2)
fig, axes = plt.subplots(3, 4, figsize=(10, 7.5))
for column, name in enumerate(pools.inputs):
    for row, (kind, grids) in enumerate(
        (("input", pools.inputs), ("average", pools.average), ("max", pools.maximum))
    ):
        side = range(len(grids[name]))
        plot_heatmap(
            grids[name],
            ax=axes[row, column],
            xlabels=side,
            ylabels=side,
            fmt="{:.2g}",
            vmin=0,
            vmax=1,
            colorbar=False,
            title=f"{kind}, {name}",
        )
fig.tight_layout()

# %%
same_max = all((m == 1).all() for m in pools.maximum.values())
print(
    f"Average pooling tracks where the block is (top-left: {pools.average['top-left'].tolist()}); "
    f"max pooling gives all ones for every input: {same_max}. Max pooling cannot tell these "
    "one-pixel shifts apart; average pooling can."
)

# %% [markdown]
# ## 4D. Pooling and noise
#
# *The set:* pictures of animals at various positions, with a few missing pixels: why might
# pooling help?
#
# Two small CNNs alike but for downsampling (max pooling against stride-2 convolutions) face
# missing pixels and shifts.

# %% tags=["figure"]
probe = replace(data, x_test=data.x_test[:500], y_test=data.y_test[:500]) if QUICK else data
noise = ch4.pooling_and_noise(
    probe,
    epochs=1 if QUICK else 2,
    train_images=1_024 if QUICK else 10_240,
    probe_images=500 if QUICK else 2_000,
    seed=SEED,
)
table = noise.table.set_index("perturbation")
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
table[["feature change, no pooling", "feature change, after max pooling"]].plot.barh(ax=axes[0])
table[["accuracy, pooling model", "accuracy, strided model"]].plot.barh(ax=axes[1])
for ax in axes:
    ax.invert_yaxis()
fig.tight_layout()

# %%
clean, dropped = table.loc["clean"], table.loc["drop 10% of pixels"]
shift = table.loc["shift 1 px right"]
cost = {
    m: clean[f"accuracy, {m} model"] - dropped[f"accuracy, {m} model"]
    for m in ("pooling", "strided")
}
print(
    f"A one-pixel shift changes the first conv layer's output by "
    f"{shift['feature change, no pooling']:.0%} before pooling and "
    f"{shift['feature change, after max pooling']:.0%} after it. Dropping 10% of the pixels "
    f"costs the pooling model {cost['pooling']:.1%} of accuracy and the strided one "
    f"{cost['strided']:.1%}."
)
noise.table

# %% [markdown]
# ## 4E. Hyperparameter search: grid vs random
#
# *The set:* grid search, random search or "babysitting": pick one, give a strength and a
# limitation. Here grid and random search get the same trial budget over the set's example
# space, learning rate × dropout rate.

# %% tags=["figure"]
BUDGET = 2 if QUICK else 8  # trials per search; the space has 30 points
search = ch4.hyperparameter_search(
    data,
    directory=RUN / "tuning",
    budget=BUDGET,
    train_images=512 if QUICK else 4_096,
    epochs=1,
    seed=SEED,
)
best_so_far = {kind: (f["trial"], f["best_score"]) for kind, f in search.trials.items()}
plot_lines(best_so_far, xlabel="trial", ylabel="best validation accuracy so far")

# %% tags=["figure"]
trials = pd.concat([frame.assign(search=kind) for kind, frame in search.trials.items()])
plot_grid_heatmap(trials, "dropout", "learning_rate", fmt="{:.2f}")

# %%
grid, rand = search.best["grid"], search.best["random"]
winner = "random" if rand["best_score"] > grid["best_score"] else "grid"
print(
    f"With {BUDGET} trials each, grid search's best is {grid['best_score']:.4f} (learning "
    f"rate {grid['learning_rate']:g}, dropout {grid['dropout']:g}) and random search's "
    f"{rand['best_score']:.4f} (learning rate {rand['learning_rate']:g}, dropout "
    f"{rand['dropout']:g}): {winner} search found the better model here. A grid walks its "
    "corner of the space in order; random draws spread the same budget over every value."
)

# %% [markdown]
# ## 4F. A CNN for MNIST under the set's rules
#
# *The set:* a Sequential CNN (Conv2D, MaxPooling2D, BatchNormalization, Dropout, Dense,
# ReLU, Softmax, Flatten only; under 1,000,000 parameters; at least one Dropout and one
# BatchNormalization) trained 10 epochs with batch 32 to test accuracy 0.985. First set
# every Dropout layer to each of 10 rates in [0, 1) and train one epoch each.

# %% tags=["figure"]
RATES = (0.0, 0.3, 0.6) if QUICK else ch4.SWEEP_RATES
sweep = ch4.dropout_sweep(
    data, rates=RATES, epochs=1, train_images=1_024 if QUICK else None, seed=SEED
)
rate = ch4.choose_rate(sweep)  # the largest rate within 0.5 points of the best, on validation
plot_lines(
    {
        "validation": (sweep["rate"], sweep["val_accuracy"]),
        "test (shown, not used)": (sweep["rate"], sweep["test_accuracy"]),
    },
    xlabel="dropout rate",
    ylabel="accuracy after one epoch",
)

# %% tags=["figure"]
EPOCHS = 1 if QUICK else 10  # the set's 10
train_data = (
    replace(data, x_train=data.x_train[:2_048], y_train=data.y_train[:2_048]) if QUICK else data
)
model, history = ch4.final_cnn(train_data, rate=rate, out=RUN, epochs=EPOCHS, seed=SEED)

# %%
test_accuracy = model.evaluate(data.x_test, one_hot(data.y_test), verbose=0)[1]
verdict = "meets" if test_accuracy >= ch4.SET_BAR else "misses"
print(
    f"Dropout {rate:g} (chosen on validation), {model.count_params():,} parameters, "
    f"{EPOCHS} epoch(s): test accuracy {test_accuracy:.4f}, which {verdict} the set's "
    f"{ch4.SET_BAR}" + (" (quick mode: the sample and short training)" if QUICK else "") + ".\n"
    "Choosing the rate by test accuracy would tune the model to the test set; and a one-epoch "
    "score need not predict the ten-epoch one."
)
history
