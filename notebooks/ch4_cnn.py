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
# Problem 4 of CS 155 set 4, worked with the `companion` library. Each section states the
# set's question, answers it with the chapter's own functions (`chapters.ch4_cnn`), draws
# the figures and reads the numbers: from 4C on, the reading is the chapter's own text, the
# same as `python -m chapters.ch4_cnn` writes in its report, chosen by this run's numbers.
# With the same seed and data (quick mode: the shipped sample) the numbers are the chapter's
# `--quick` ones. Change a setting in a cell and run it again.

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

import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from IPython.utils.capture import capture_output

from chapters import ch4_cnn as ch4
from companion import load_mnist, plot_heatmap
from companion.plots import plot_history
from companion.seed import derive_seed
from companion.sweep import choose_rate
from companion.training import correct_predictions

QUICK = True  # True: the shipped sample and short training (about a minute); False: the set's
SEED = 0  # the base seed
REPEATS = 1 if QUICK else 3  # training seeds of 4D and searches per strategy of 4E


def seed_for(part: str) -> int:
    """The seed the chapter gives one part of a problem (its `ctx.seed_for`), e.g. "4F:final"."""
    return derive_seed(SEED, part)


logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notes in the outputs
# Full MNIST: load_mnist() looks for $COMPANION_MNIST, then Keras' cache or download.
data = load_mnist(sample=QUICK)
print(data.description)

# %% [markdown]
# ## 4A. Zero padding
#
# *The set:* a convolution is applied to every 8 × 8 patch of a 20 × 20 image. Give one
# benefit and one drawback of zero padding, against using only the patches inside the image.

# %% tags=["figure"]
IMAGE, PATCH = 20, 8  # the set's; try PATCH = 3 or 15
padding = ch4.zero_padding(image=IMAGE, patch=PATCH)
valid, same = padding.coverage_valid, padding.coverage_same
fig = ch4.plot_padding(padding)

# %%
middle, n_valid, n_same = IMAGE // 2, (IMAGE - PATCH + 1) ** 2, IMAGE**2
real = (PATCH - (PATCH - 1) // 2) ** 2 / PATCH**2  # real pixels in the padded corner patch
display(
    Markdown(
        f"**Benefit.** Without padding a corner pixel is in {valid[0, 0]} patch and a central "
        f"one in {valid[middle, middle]}: the border is under-represented, and the output "
        f"shrinks to {IMAGE - PATCH + 1}² = {n_valid} positions. With zero padding the corner "
        f"is in {same[0, 0]} patches and the output keeps the input's size ({n_same}).\n\n"
        f"**Drawback.** The padded pixels are zeros, not data: the padded corner patch holds "
        f"only {real:.0%} real pixels, an artificial dark border; and there are {n_same} "
        f"outputs instead of {n_valid}, {n_same / n_valid:.1f}× the work for this layer.\n\n"
        "Through a stack of 3 × 3 convolutions, the output size of a 28 × 28 input:"
    )
)
padding.stack

# %% [markdown]
# ## 4B. Parameters and output shape of a 5×5 convolution
#
# *The set:* a 32 × 32 × 3 input, 8 filters of 5 × 5 × 3, stride 1, no padding: how many
# parameters (biases included), and what output shape?

# %%
PADDING, STRIDE = "valid", 1  # the set's: no padding, stride 1; try "same", or STRIDE = 2
INPUT_SHAPE, FILTERS, KERNEL = (32, 32, 3), 8, 5
count = ch4.conv_count(
    input_shape=INPUT_SHAPE, filters=FILTERS, kernel=KERNEL, stride=STRIDE, padding=PADDING
)
channels = INPUT_SHAPE[-1]
agree = count.params == count.keras_params and count.output_shape == count.keras_output_shape
display(
    Markdown(
        f"A {KERNEL}×{KERNEL} filter over {channels} input channels has "
        f"{KERNEL}·{KERNEL}·{channels} = {KERNEL * KERNEL * channels} weights and one bias; "
        f"{FILTERS} filters give {FILTERS}·({KERNEL * KERNEL * channels} + 1) = "
        f"**{count.params} parameters**, whatever the padding and stride. Output shape "
        f"({PADDING!r} padding, stride {STRIDE}): **{count.output_shape}**, one channel per "
        f"filter.\n\nKeras' `Conv2D` has {count.keras_params} parameters and output shape "
        f"{count.keras_output_shape}: {'the same as' if agree else 'DIFFERENT from'} the formula."
    )
)

# %% [markdown]
# ## 4C. Average and max pooling
#
# *The set:* four 4 × 4 inputs, each with a 3 × 3 block of ones in one corner: the outputs
# of 2 × 2 average pooling and of 2 × 2 max pooling, stride 2.

# %% tags=["figure"]
POOL = 2  # pooling window and stride (the set's 2); try 3
pools = ch4.pooling(pool=POOL, stride=POOL)
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

# %% [markdown]
# **The reading**, as the chapter's report writes it from these outputs:

# %%
display(Markdown(ch4.text_4c(pools)))

# %% [markdown]
# ## 4D. Pooling and noise
#
# *The set:* pictures of animals at various positions, with a few missing pixels: why might
# pooling help?
#
# Two small CNNs alike but for downsampling (max pooling against stride-2 convolutions)
# are trained once per seed and face missing pixels and shifts; every perturbed test image
# is scored by both, so they are compared image by image, with a 95% interval
# (`companion.stats`). One seed in quick mode, three in the full run.

# %% tags=["figure"]
EPOCHS_4D = 2  # the chapter's
noise = ch4.pooling_and_noise(
    data,
    epochs=EPOCHS_4D,
    train_images=2_048 if QUICK else 5_120,
    test_images=None if QUICK else 5_120,  # None: every test image
    probe_images=1_000 if QUICK else 2_000,  # images for the feature-change measure
    seeds=[seed_for(f"4D:models-{i}") for i in range(REPEATS)],
    seed=seed_for("4D:missing-pixels"),  # which pixels go missing
)
fig = ch4.plot_pooling_noise(noise)

# %% [markdown]
# **The reading**, as the chapter's report writes it from these numbers:

# %%
display(Markdown(ch4.text_4d(noise)))

# %% [markdown]
# ## 4E. Hyperparameter search: grid, random and Bayesian
#
# *The set:* grid search, random search or "babysitting": pick one, give a strength and a
# limitation. Here three strategies (keras-tuner's grid, random and Bayesian optimisation)
# get the same trial budget over the set's example space, learning rate × dropout rate
# (30 combinations), once per seed. The searches write into a temporary folder, deleted
# afterwards.

# %% tags=["figure"]
BUDGET = 3 if QUICK else 8  # trials per search
STRATEGIES = ch4.SEARCH_STRATEGIES  # ("grid", "random", "bayesian"): at least two to compare
with tempfile.TemporaryDirectory() as search_dir:  # the searches' keras-tuner projects
    search = ch4.hyperparameter_search(
        data,
        directory=search_dir,
        strategies=STRATEGIES,
        seeds=[seed_for(f"4E:search-{i}") for i in range(REPEATS)],
        budget=BUDGET,
        train_images=1_536 if QUICK else 2_048,
        val_images=None if QUICK else 5_120,  # None: the whole validation split
        epochs=1,
        bayesian_initial=2 if QUICK else 3,  # random trials before the Gaussian process
    )
fig = ch4.plot_search(search)

# %% tags=["figure"]
fig = ch4.plot_search_coverage(search)

# %% [markdown]
# **The reading**, as the chapter's report writes it from these trials:

# %%
display(Markdown(ch4.text_4e(search)))

# %% [markdown]
# ## 4F. A CNN for MNIST under the set's rules
#
# *The set:* a Sequential CNN (Conv2D, MaxPooling2D, BatchNormalization, Dropout, Dense,
# ReLU, Softmax, Flatten only; under 1,000,000 parameters; at least one Dropout and one
# BatchNormalization) trained 10 epochs with batch 32 to test accuracy 0.985. First set
# every Dropout layer to each of 10 rates in [0, 1) and train one epoch each.
#
# First the sweep: one epoch per rate, scored on the validation split; the chapter takes
# the largest rate within `TOLERANCE` of the best (never 0: the rules need dropout).

# %% tags=["figure"]
SWEEP_IMAGES = 1_024 if QUICK else 20_480  # training images per rate
TOLERANCE = ch4.SWEEP_TOLERANCE  # 0.005
sweep = ch4.dropout_sweep(
    data, rates=ch4.SWEEP_RATES, epochs=1, train_images=SWEEP_IMAGES, seed=seed_for("4F:sweep")
)
chosen = choose_rate(sweep, TOLERANCE)
fig = ch4.plot_sweep(sweep)

# %% [markdown]
# Then which regularisation works best: the same CNN with none, batch norm, dropout, both,
# and an L2 weight penalty, trained alike on unshifted images. `RATE` is the dropout rate of
# this comparison and of the final model.

# %% tags=["figure"]
RATE = chosen  # the sweep's choice; or another of its rates above 0, e.g. 0.5
regularizers = ch4.compare_regularizers(
    data,
    rate=RATE,
    train_images=1_024 if QUICK else 5_120,
    epochs=2 if QUICK else 4,
    seed=seed_for("4F:regularizers"),
)
fig = ch4.plot_regularizers(regularizers)

# %% [markdown]
# The final model, trained on every training image (shifted by up to a pixel, afresh each
# epoch) and tested once.

# %% tags=["figure"]
EPOCHS = 2 if QUICK else 10  # the set's 10
model, history = ch4.final_cnn(data, rate=RATE, out=None, epochs=EPOCHS, seed=seed_for("4F:final"))
(test_hits,) = correct_predictions(model, (data.x_test, data.y_test))  # the one use of test
fig = plot_history(history, title=f"the CNN, dropout {RATE:g}")
# model.save("my_cnn.keras")  # to keep it

# %% [markdown]
# **The reading**, as the chapter's report writes it from these numbers:

# %%
cnn = ch4.CnnResult(
    sweep=sweep,
    sweep_images=min(SWEEP_IMAGES, len(data.x_train)),
    rate=RATE,
    regularizers=regularizers,
    model=model,
    history=history,
    test_accuracy=float(test_hits.mean()),
    epochs=EPOCHS,
    quick=QUICK,
)
with capture_output():  # model.summary() inside leaves an empty HTML output otherwise
    reading = ch4.text_4f(cnn)
# The report saves the model in its run folder; here it stays in `model`.
reading = reading.replace("The model is saved as\n`4F_cnn.keras`.", "The model is in `model`.")
if chosen != RATE:
    reading = (
        f"*You set the dropout rate to {RATE:g}; the sweep's rule chose {chosen:g}. The "
        "sweep paragraph below names your rate as the choice.*\n\n" + reading
    )
display(Markdown(reading))
