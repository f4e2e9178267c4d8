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
# # The Otter Assign settings: `python notebooks/assign.py ch4_cnn OUT` makes the student
# # notebook (no solutions, no readings) and the Gradescope autograder from this master.
# name: ch4_cnn
# run_tests: false
# init_cell: false  # the grader starts in the imports cell, below
# check_all_cell: false
# export_cell: false
# strip_solutions_from_all_cells: true
# generate: true
# requirements: requirements.txt

# %% [markdown]
# # Chapter 4: convolutional neural networks on MNIST
#
# Problem 4 of CS 155 set 4, worked with the `companion` library and the chapter's own
# functions (`chapters.ch4_cnn`). Each section states the set's question and answers it;
# the networks of 4D, 4E and 4F are shown or written out in Keras, summarised, compiled,
# fitted with live curves and evaluated, in that order, before the chapter's runs over
# seeds. From 4C on the reading is the chapter's own text, the same as
# `python -m chapters.ch4_cnn` writes in its report, chosen by this run's numbers. With the
# same seed and data (quick mode: the shipped sample) the numbers are the chapter's
# `--quick` ones. Change a setting in a cell and run it again; the exercises at the end vary
# what the set varies, and 4F asks for a CNN of your own, which `companion.check` holds to
# the set's rules.

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
from companion import load_mnist, plot_heatmap, seed_for, set_seed
from companion.sweep import choose_rate

QUICK = True  # True: the shipped sample and short training (about a minute); False: the set's
SEED = 0  # the base seed: seed_for(problem, part, SEED) gives the command line's seeds
REPEATS = 1 if QUICK else 3  # training seeds of 4D and searches per strategy of 4E
logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notes in the outputs
# Full MNIST: load_mnist() looks for $COMPANION_MNIST, then Keras' cache or download.
data = load_mnist(sample=QUICK)
print(data.description)

# %%
import inspect

import keras
import keras_tuner
import numpy as np

import companion
from companion.augment import shifted_batches
from companion.callbacks import EpochTimer, TrainingCurves
from companion.training import cosine_adam, one_hot, steps_per_run

# %% tags=["grader"]
# The student version's `grader` for `grader.check`: notebooks/assign.py writes this
# cell there (otter-grader, with the public tests in the cell, so the checks run on
# Colab too). Here the "your model" cells print the same checks through companion.check.

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
# The set's reading (write your own in a Markdown cell below).
# BEGIN SOLUTION NO PROMPT
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
display(padding.stack)
# END SOLUTION

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

# %%
# The set's reading (write your own in a Markdown cell below).
# BEGIN SOLUTION NO PROMPT
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
# END SOLUTION

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

# %%
# The set's reading (write your own in a Markdown cell below).
# BEGIN SOLUTION NO PROMPT
display(Markdown(ch4.text_4c(pools)))
# END SOLUTION

# %% [markdown]
# ## 4D. Pooling and noise
#
# *The set:* pictures of animals at various positions, with a few missing pixels: why might
# pooling help?
#
# Two small CNNs alike but for downsampling: max pooling against stride-2 convolutions.
# The chapter writes them out in `chapters/ch4_cnn/p4d_noise.py`:

# %%
from chapters.ch4_cnn.p4d_noise import noise_models

print(inspect.getsource(noise_models))

# %%
TRAIN_4D = 2_048 if QUICK else 5_120  # training images, the chapter's
EPOCHS_4D = 2  # the chapter's
set_seed(seed_for("4D", "models-0", SEED))  # the chapter's first seed: the same starts
pooled, strided = noise_models()
pooled.summary()
strided.summary()

# %% [markdown]
# Compile both alike (Adam, categorical cross-entropy on one-hot labels), fit each on the
# same images with its curves, then evaluate on the clean test images and on the same
# images with a fifth of their pixels set to 0 (missing).

# %% tags=["figure"]
x_4d, y_4d = data.x_train[:TRAIN_4D], one_hot(data.y_train[:TRAIN_4D])
for net in (pooled, strided):
    net.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    net.fit(
        x_4d,
        y_4d,
        batch_size=32,
        epochs=EPOCHS_4D,
        validation_data=(data.x_val, one_hot(data.y_val)),
        callbacks=[TrainingCurves(title=net.name)],
        verbose=0,
    )

# %%
holes = np.random.default_rng(seed_for("4D", "missing-pixels-demo", SEED))
missing = data.x_test * (holes.random(data.x_test.shape) >= 0.2)  # a fifth of pixels to 0
for net in (pooled, strided):
    clean = net.evaluate(data.x_test, one_hot(data.y_test), verbose=0)[1]
    holed = net.evaluate(missing, one_hot(data.y_test), verbose=0)[1]
    print(f"{net.name:>20}: test accuracy {clean:.4f} clean, {holed:.4f} with 20% missing")

# %% [markdown]
# **Over seeds and perturbations.** The chapter faces both nets with missing pixels and
# shifts: the two trained above are the first seed's (`trained=`, scored, not trained
# again), and it trains a pair for each further seed. Every perturbed test image is scored
# by both, so they are compared image by image, with a 95% interval (`companion.stats`).
# For the augmentation comparison it also trains each net, from the same initial weights,
# on randomly shifted images. One seed in quick mode, three in the full run.

# %% tags=["figure"]
noise = ch4.pooling_and_noise(
    data,
    epochs=EPOCHS_4D,
    train_images=TRAIN_4D,
    test_images=None if QUICK else 5_120,  # None: every test image
    probe_images=1_000 if QUICK else 2_000,  # images for the feature-change measure
    seeds=[seed_for("4D", f"models-{i}", SEED) for i in range(REPEATS)],
    seed=seed_for("4D", "missing-pixels", SEED),  # which pixels go missing
    trained=(pooled, strided),  # the first seed's pair, trained above
)
fig = ch4.plot_pooling_noise(noise)

# %%
# The set's reading (write your own in a Markdown cell below).
# BEGIN SOLUTION NO PROMPT
display(Markdown(ch4.text_4d(noise)))
# END SOLUTION

# %% [markdown]
# ## 4E. Hyperparameter search: grid, random and Bayesian
#
# *The set:* grid search, random search or "babysitting": pick one, give a strength and a
# limitation. Here three strategies (keras-tuner's grid, random and Bayesian optimisation)
# get the same trial budget over the set's example space, learning rate × dropout rate
# (30 combinations), once per seed.
#
# The searched model is a keras-tuner hypermodel, `build(hp)`: each trial's `hp` picks a
# dropout rate and a learning rate, and `build` returns the CNN compiled at them.

# %%
print(inspect.getsource(ch4.search_hypermodel))  # its `build(hp)`

# %% [markdown]
# One trial by hand: one point of the space (`hp.values`; try others of
# `ch4.LEARNING_RATES` × `ch4.DROPOUT_RATES`), the model `build` makes there (compiled
# inside), one epoch on the search's training images with its curves, and the validation
# score the search ranks trials by.

# %% tags=["figure"]
TRAIN_4E = 1_536 if QUICK else 2_048  # the chapter's training images per trial
hp = keras_tuner.HyperParameters()
ch4.search_hypermodel(hp)  # registers the space; its first values are 0 and 0.1
hp.values.update(dropout=0.2, learning_rate=1e-3)  # the point to try
set_seed(seed_for("4E", "by-hand", SEED))
trial = ch4.search_hypermodel(hp)
trial.summary()
trial.fit(
    data.x_train[:TRAIN_4E],
    one_hot(data.y_train[:TRAIN_4E]),
    batch_size=32,
    epochs=1,
    validation_data=(data.x_val, one_hot(data.y_val)),
    callbacks=[TrainingCurves(title=f"one trial: {hp.values}")],
    verbose=0,
)
loss, accuracy = trial.evaluate(data.x_val, one_hot(data.y_val), verbose=0)
print(f"{hp.values}: validation accuracy {accuracy:.4f} (what the search ranks by)")

# %% [markdown]
# A search is a keras-tuner tuner over `build`'s space, seeded and given its trial budget
# (`search_tuner`: `companion.search.tuning.make_tuner` with 4E's project name and one
# traced model serving every trial); `tuner.search` runs its trials, each one a `fit` like
# the one above, scored on the validation split. The first strategy's search for the first
# seed, here in view:

# %%
from chapters.ch4_cnn.p4e_search import search_tuner

BUDGET = 3 if QUICK else 8  # trials per search
STRATEGIES = ch4.SEARCH_STRATEGIES  # ("grid", "random", "bayesian"): at least two to compare
SEEDS_4E = [seed_for("4E", f"search-{i}", SEED) for i in range(REPEATS)]
VAL_4E = None if QUICK else 5_120  # validation images per trial; None: the whole split
BAYESIAN_INITIAL = 2 if QUICK else 3  # random trials before the Gaussian process
search_dir = tempfile.TemporaryDirectory()  # the searches' keras-tuner projects
tuner = search_tuner(
    STRATEGIES[0],
    SEEDS_4E[0],
    directory=search_dir.name,
    budget=BUDGET,
    bayesian_initial=BAYESIAN_INITIAL,  # used when the first strategy is "bayesian"
)
tuner.search_space_summary()
tuner.search(
    data.x_train[:TRAIN_4E],
    one_hot(data.y_train[:TRAIN_4E]),
    validation_data=(data.x_val[:VAL_4E], one_hot(data.y_val[:VAL_4E])),
    epochs=1,
    batch_size=32,
    validation_batch_size=512,  # scoring only: big batches, the same score
    verbose=0,
)
tuner.results_summary(num_trials=1)  # its best trial

# %% [markdown]
# The chapter runs the other searches alike (every strategy, every seed, the same budget),
# reads the one above instead of running it again (`searched=`), and puts every trial in one
# table. The temporary folder is deleted afterwards.

# %% tags=["figure"]
search = ch4.hyperparameter_search(
    data,
    directory=search_dir.name,
    strategies=STRATEGIES,
    seeds=SEEDS_4E,
    budget=BUDGET,
    train_images=TRAIN_4E,
    val_images=VAL_4E,
    epochs=1,
    bayesian_initial=BAYESIAN_INITIAL,
    searched={(STRATEGIES[0], SEEDS_4E[0]): tuner},  # the search above
)
search_dir.cleanup()
fig = ch4.plot_search(search)

# %% tags=["figure"]
fig = ch4.plot_search_coverage(search)

# %%
# The set's reading (write your own in a Markdown cell below).
# BEGIN SOLUTION NO PROMPT
display(Markdown(ch4.text_4e(search)))
# END SOLUTION

# %% [markdown]
# ## 4F. A CNN for MNIST under the set's rules
#
# *The set:* a Sequential CNN (Conv2D, MaxPooling2D, BatchNormalization, Dropout, Dense,
# ReLU, Softmax, Flatten only; under 1,000,000 parameters; at least one Dropout and one
# BatchNormalization) trained 10 epochs with batch 32 to test accuracy 0.985. First set
# every Dropout layer to each of 10 rates in [0, 1) and train one epoch each.
#
# First the sweep: the chapter's CNN with every Dropout layer at each rate, one epoch per
# rate, scored on the validation split; the sweep's rule takes the largest rate within
# `ch4.SWEEP_TOLERANCE` of the best (never 0: the rules need dropout).

# %% tags=["figure"]
SWEEP_IMAGES = ch4.final_sweep_images(len(data.x_train), QUICK)  # quick: 1,024; else all
sweep = ch4.dropout_sweep(data, train_images=SWEEP_IMAGES, seed=seed_for("4F", "sweep", SEED))
chosen = choose_rate(sweep, ch4.SWEEP_TOLERANCE)
print(f"the sweep's rule chooses dropout {chosen:g}")
fig = ch4.plot_sweep(sweep)

# %% [markdown]
# `RATE` is the dropout rate of your model below. Left at the sweep's choice, the reading
# says so; set it yourself (any rate above 0, e.g. 0.5) and the reading says you set it.

# %%
RATE = chosen  # the sweep's choice; or your own, e.g. 0.5

# %% [raw]
# # BEGIN QUESTION
# name: q4f
# points: 3

# %% [markdown]
# **Your model.** Write 4F's CNN as `model_4f`: a `keras.Sequential` on 28 × 28 × 1 images
# (`keras.Input((28, 28, 1))`) of the set's layers only, under 1,000,000 parameters, with at
# least one `BatchNormalization` and every `Dropout` at `RATE`. `companion.check(model_4f,
# "4F", data)` holds it to the set's rules; the bar (0.985) is for the full data and
# training (`QUICK = False`).

# %% [raw]
# # BEGIN SOLUTION

# %%
set_seed(seed_for("4F", "final", SEED))  # the final model's start: the command line's
# BEGIN SOLUTION
# The chapter's CNN (chapters/ch4_cnn/p4f_cnn.py): two conv blocks, then one hidden layer.
# Pooling before batch norm and ReLU: they see a quarter of the values (faster, as
# accurate); a conv followed by batch norm needs no bias (batch norm's beta does its job).
model_4f = keras.Sequential(
    [
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(16, 3, padding="same", use_bias=False),
        keras.layers.MaxPooling2D(2),
        keras.layers.BatchNormalization(momentum=0.9),  # settles within short runs
        keras.layers.ReLU(),
        keras.layers.Dropout(RATE),
        keras.layers.Conv2D(32, 3, padding="same", use_bias=False),
        keras.layers.MaxPooling2D(2),
        keras.layers.BatchNormalization(momentum=0.9),
        keras.layers.ReLU(),
        keras.layers.Dropout(RATE),
        keras.layers.Flatten(),
        keras.layers.Dense(128),
        keras.layers.ReLU(),
        keras.layers.Dropout(RATE),
        keras.layers.Dense(10),
        keras.layers.Softmax(),
    ],
    name="cnn_4f",
)
# END SOLUTION
model_4f.summary()

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
verdict = companion.check(model_4f, "4F", data)  # the bar needs the full data and training
assert not {rule.name for rule in verdict.broken} - {"test accuracy"}, verdict

# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG
assert QUICK or companion.check(model_4f, "4F", data).passed, "4F's bar on full MNIST"

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# **Compile and fit** as the chapter does (`ch4.compile_cnn`, `ch4.final_cnn`): Adam with
# its rate cosine-decayed from 2e-3 to 2% of it over the run, categorical cross-entropy,
# batches of 32 shuffled and shifted by up to a pixel afresh every epoch.

# %%
EPOCHS = 2 if QUICK else 10  # the set's 10
steps = steps_per_run(len(data.x_train), 32, EPOCHS)
model_4f.compile(
    optimizer=cosine_adam(2e-3, steps, alpha=0.02),
    loss="categorical_crossentropy",
    metrics=["accuracy"],
    steps_per_execution=16,  # 16 batches per compiled call: the same updates, less Python
)

# %% tags=["figure"]
batches = shifted_batches(
    data.x_train,
    one_hot(data.y_train),
    batch_size=32,
    max_shift=ch4.MAX_SHIFT,
    seed=seed_for("4F", "final", SEED),
)
history_4f = model_4f.fit(
    batches,
    epochs=EPOCHS,
    validation_data=(data.x_val, one_hot(data.y_val)),
    callbacks=[EpochTimer(), TrainingCurves(title=f"{model_4f.name}, dropout {RATE:g}")],
    shuffle=False,  # the batches come shuffled (and shifted) afresh each epoch
    verbose=0,
)
# model_4f.save("my_cnn.keras")  # to keep it; python -m companion.grade my_cnn.keras --problem 4F

# %%
loss, accuracy = model_4f.evaluate(data.x_test, one_hot(data.y_test), verbose=0)
print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")
print(companion.check(model_4f, "4F", data))

# %% [markdown]
# **Which regularisation works best, and over seeds.** The chapter compares none, batch
# norm, dropout (at your model's rate), both, and an L2 penalty, trained alike; in a full
# run it also trains copies of `model_4f` with two more seeds (the run above is the first).

# %% tags=["figure"]
cnn = ch4.cnn_4f(
    data,
    seed_for=lambda part: seed_for("4F", part, SEED),
    quick=QUICK,
    swept=sweep,  # the sweep above, not run again
    trained=(model_4f, history_4f),  # the first final seed's run
)
fig = ch4.plot_regularizers(cnn.regularizers)
print(f"dropout {cnn.rate:g} ({cnn.rate_source}); test accuracy per seed: {cnn.seed_tests}")

# %%
# The set's reading (write your own in a Markdown cell below).
# BEGIN SOLUTION NO PROMPT
with capture_output():  # model.summary() inside leaves an empty HTML output otherwise
    reading = ch4.text_4f(cnn, saved_as=None)  # the model is in model_4f, not in a file
display(Markdown(reading))
# END SOLUTION

# %% [markdown]
# ## Exercises
#
# Each exercise varies one thing the set varies. Write your answer in the cell (the
# instructor's version holds a worked one), then say in a sentence what the numbers show.
# Each net trains `EXERCISE_EPOCHS` epoch(s) on `EXERCISE_IMAGES` training images with
# Adam and one seed, scored on the validation split: one short run each, so differences
# under a point or two may be noise.

# %%
EXERCISE_EPOCHS = 1 if QUICK else 3
EXERCISE_IMAGES = 1_024 if QUICK else 10_240
EXERCISE_SEED = seed_for("exercises", "seed-0", SEED)


def validation_accuracy(net: keras.Model, learning_rate: float = 1e-3, x_val=None) -> float:
    """Compile and fit `net` briefly (seeded), then its accuracy on (perturbed) validation."""
    net.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    net.fit(
        data.x_train[:EXERCISE_IMAGES],
        one_hot(data.y_train[:EXERCISE_IMAGES]),
        batch_size=32,
        epochs=EXERCISE_EPOCHS,
        verbose=0,
    )
    x = data.x_val if x_val is None else x_val
    return net.evaluate(x, one_hot(data.y_val), verbose=0)[1]


# %% [markdown]
# **Exercise 1 (pooling).** Train 4D's pooling net with `MaxPooling2D` and with
# `AveragePooling2D`, and score each on the validation images clean and with 20% of their
# pixels missing. Which pooling copes better with missing pixels, and why might it?

# %%
# BEGIN SOLUTION
holed_val = data.x_val * (np.random.default_rng(EXERCISE_SEED).random(data.x_val.shape) >= 0.2)
for pool in (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D):
    set_seed(EXERCISE_SEED)
    stack = [keras.Input((28, 28, 1))]
    for width in (16, 32):
        stack += [keras.layers.Conv2D(width, 3, padding="same"), keras.layers.ReLU(), pool(2)]
    net = keras.Sequential([*stack, keras.layers.Flatten(), keras.layers.Dense(10, "softmax")])
    clean = validation_accuracy(net)
    holed = net.evaluate(holed_val, one_hot(data.y_val), verbose=0)[1]
    print(f"{pool.__name__:>16}: {clean:.4f} clean, {holed:.4f} with 20% missing")
# END SOLUTION

# %% [markdown]
# **Exercise 2 (dropout).** Give a small CNN (one `Conv2D(16, 3)`, `MaxPooling2D`,
# `Flatten`, `Dense(64)`, `Dense(10)`) a `Dropout` after the hidden dense layer at rates 0,
# 0.25 and 0.5. Over such a short run, does dropout help or cost accuracy? Compare with
# 4F's one-epoch sweep.

# %%
# BEGIN SOLUTION
for rate in (0.0, 0.25, 0.5):
    set_seed(EXERCISE_SEED)
    net = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dropout(rate),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    print(f"dropout {rate:g}: {validation_accuracy(net):.4f}")
# END SOLUTION

# %% [markdown]
# **Exercise 3 (learning rate and width).** Train that CNN (dropout 0.25) with Adam at
# 1e-4, 1e-3 and 1e-2, then with 8, 16 and 32 filters at 1e-3, printing each one's
# parameter count. Which knob moves the score more in one epoch?


# %%
# BEGIN SOLUTION
def small_cnn(filters: int = 16) -> keras.Model:
    """One conv block and a hidden dense layer of 64, dropout 0.25."""
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(filters, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dropout(0.25),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


# 16 filters at 1e-3 is in both lists: trained once
for filters, peak in ((16, 1e-4), (16, 1e-3), (16, 1e-2), (8, 1e-3), (32, 1e-3)):
    set_seed(EXERCISE_SEED)
    net = small_cnn(filters)
    score = validation_accuracy(net, learning_rate=peak)
    print(f"{filters} filters, Adam {peak:g}: {score:.4f}, {net.count_params():,} parameters")
# END SOLUTION
