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
# # The Otter Assign settings: `python notebooks/assign.py ch1_principles OUT` makes the
# # student notebook (no solutions, no readings) and the Gradescope autograder from this master.
# name: ch1_principles
# run_tests: false
# init_cell: false  # the grader starts in the imports cell, below
# check_all_cell: false
# export_cell: false
# strip_solutions_from_all_cells: true
# generate: true
# requirements: requirements.txt

# %% [markdown]
# # Chapter 1: deep-learning principles, TensorFlow Playground's demos in Keras
#
# Problem 1 of CS 155 set 4, worked with the `companion` library. Each section states the
# set's question, answers it with the chapter's own functions (`chapters.ch1_principles`),
# draws the figures and reads the numbers: the reading is the chapter's own text, the same
# as `python -m chapters.ch1_principles` writes in its report, chosen by this run's numbers.
# Change a setting in a cell and run it again. Each trained net is shown, summarised,
# compiled, fitted with live curves and evaluated before the chapter's runs over seeds;
# 1D and 1E ask for a model of your own, which `companion.check` holds to the set's rule.
# The exercises at the end vary what the set varies.

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

from IPython.display import Markdown, display

from chapters import ch1_principles as ch1
from companion import plot_heatmap, set_seed
from companion.playground.boundary import animation_html, plot_boundary, plot_neurons
from companion.seed import derive_seed, seed_for

QUICK = True  # True: 2 seeds, short training (well under a minute); False: the set's settings
SEED = 0  # the base seed: seed_for(problem, part, SEED) gives the command line's seeds
set_seed(SEED)
logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notes in the outputs

# %%
import inspect
import operator

import keras
import numpy as np

import companion
from companion import pset
from companion.callbacks import DeadReluMonitor, TrainingCurves
from companion.data.playground import ordered_dataset
from companion.playground.fastfit import fast_fit
from companion.playground.handbuilt import binary_inputs, truth_table
from companion.playground.model import half_squared_error, reinitialize

# %% tags=["grader"]
# The student version's `grader` for `grader.check`: notebooks/assign.py writes this
# cell there (otter-grader, with the public tests in the cell, so the checks run on
# Colab too). Here the "your model" cells print the same checks through companion.check.

# %% [markdown]
# ## 1A. Backpropagation and initialisation: ReLU from random and zero starts
#
# *The set:* train the Playground's two demos (circle data, a 4-2 ReLU net, batch 10,
# learning rate 0.03) for about 250 iterations, one from a random start and one from all
# zeros, and explain with backprop why they differ.
#
# The Playground varies a lot from one seed to the next, so each demo runs with several
# seeds; a seed draws both the data (a fresh circle sample, `ch1.circle(seed, base)`) and
# the random start.

# %% [markdown]
# **The model.** The set gives the net; the chapter writes it out in Keras
# (`chapters/ch1_principles/p1a_init.py`):

# %%
print(inspect.getsource(ch1.playground_net))

# %%
SEED_1A = seed_for("1A", "demos", SEED)  # the command line's seed for 1A's demos
d = ch1.circle(0, SEED_1A)  # seed index 0's data, as in the demos below
model = ch1.playground_net("relu", seed=derive_seed(SEED_1A, "init-0"))  # and its start
model.summary()

# %% [markdown]
# `playground_net` compiles the net as well; spelled out, its compile is this: plain SGD at
# the Playground's rate and the loss ½(ŷ − y)² on ±1 labels.

# %%
model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=pset.PLAYGROUND_LEARNING_RATE),
    loss=half_squared_error,
    steps_per_execution=25,  # an epoch's 25 steps per call: fewer trips to Python, same steps
)

# %% tags=["figure"]
FIT_EPOCHS = 20  # model.fit returns to Python after every batch: slow for 4000 epochs
history = model.fit(
    d.x_train,
    d.y_train,
    epochs=FIT_EPOCHS,
    batch_size=pset.PLAYGROUND_BATCH_SIZE,
    shuffle=False,  # the Playground keeps the order
    validation_data=(d.x_test, d.y_test),
    callbacks=[TrainingCurves(every=10, title="1A, random start: model.fit")],
    verbose=0,
)

# %% [markdown]
# The runs below train thousands of epochs with `fast_fit`, which runs the model's own
# `train_step` many epochs per compiled call. Trained from the same start, it gives the
# weights `model.fit` gave:

# %%
fast = ch1.playground_net("relu", seed=derive_seed(SEED_1A, "init-0"))
fast_fit(fast, d.x_train, d.y_train, epochs=FIT_EPOCHS, batch_size=pset.PLAYGROUND_BATCH_SIZE)
gap = max(float(np.abs(a - b).max()) for a, b in zip(model.get_weights(), fast.get_weights()))
test_loss = model.evaluate(d.x_test, d.y_test, verbose=0)
print(
    f"after {FIT_EPOCHS} epochs: test loss {test_loss:.4f}; the largest difference between "
    f"the weights of model.fit and of the fast loop: {gap:.1e}"
)

# %%
DEMO_SEEDS = (0, 1) if QUICK else (0, 1, 2)  # add seeds to see more of the spread
EPOCHS_1A = 250  # the set's; cheap enough in quick mode too
demos = ch1.init_demos(seeds=DEMO_SEEDS, epochs=EPOCHS_1A, seed=SEED_1A)
ch1.seed_table(demos.table)  # every fit's milestones ("not within N": never got there)

# %% tags=["figure"]
fig = ch1.loss_figure(demos.fits, train=True)

# %% tags=["figure"]
first = [fit for fit in demos.fits if fit.seed == DEMO_SEEDS[0]]
fig = ch1.boundary_figure(first)  # the output over [−6, 6]², orange −1, blue +1

# %% tags=["figure"]
fig = ch1.final_boundary_figure(demos.fits)

# %% tags=["figure"]
fig = plot_neurons(first[0].neurons, title="random start: each hidden unit at the end")

# %% [markdown]
# The boundaries over the epochs, every seed, as the Playground shows them live (press play):

# %% tags=["animation"]
animation_html(ch1.boundary_animation(demos.fits, title="1A"))

# %%
# The set's reading of these numbers (write your own in a Markdown cell below).
# BEGIN SOLUTION NO PROMPT
display(Markdown(ch1.text_1a(demos)))
# END SOLUTION

# %% [markdown]
# **Try it:** change the learning rate and see what the random start reaches. The fit
# below uses the first seed's data and start, so only the learning rate differs from 1A's.

# %% tags=["figure"]
LEARNING_RATE = 0.1  # the Playground's is 0.03; try 0.003 or 0.3
EPOCHS = EPOCHS_1A
same = first[0]  # 1A's random-start fit of the first seed
trial = ch1.playground_demo(
    same.data,
    learning_rate=LEARNING_RATE,
    epochs=EPOCHS,
    seed=derive_seed(SEED_1A, f"init-{same.seed}"),  # 1A's start for it
    seed_index=same.seed,
)
now, then = trial.milestones(), same.milestones()
print(
    f"learning rate {LEARNING_RATE:g}, {EPOCHS} epochs: final test loss "
    f"{now['final_test_loss']:.4f}, first below 0.05 at epoch "
    f"{ch1.epoch_text(now['first_below_0_05'], EPOCHS)}\n"
    f"learning rate 0.03, {EPOCHS_1A} epochs: final test loss {then['final_test_loss']:.4f}, "
    f"first below 0.05 at epoch {ch1.epoch_text(then['first_below_0_05'], EPOCHS_1A)}"
)
d = trial.data
fig = plot_boundary(
    trial.model,
    d.x_train,
    d.y_train,
    x_test=d.x_test,
    y_test=d.y_test,
    title=f"learning rate {LEARNING_RATE:g}, {EPOCHS} epochs, seed {trial.seed}",
)

# %% [markdown]
# ## 1B. Backpropagation and initialisation: sigmoid, 4000 epochs
#
# *The set:* switch both demos to sigmoid and train each for 4000 iterations; explain how the
# learned models and the speed of learning differ from 1A, by backprop and the sigmoid.
#
# The sigmoid demos run next to the random-start ReLU net with the same seeds as 1A (the
# same data and starts, so ReLU and sigmoid compare seed by seed). Quick mode trains
# 600 epochs: too short to see everything the set's 4000 show, and the reading says so.

# %%
EPOCHS_1B = 600 if QUICK else 4000  # the set's 4000 take a few minutes per seed
activations = ch1.activation_demos(
    seeds=DEMO_SEEDS, epochs=EPOCHS_1B, seed=seed_for("1B", "demos", SEED)
)
ch1.spread_table(activations.table)  # min / median / max over the seeds

# %% tags=["figure"]
fig = ch1.loss_figure(activations.fits)

# %% tags=["figure"]
sigmoid = [fit for fit in activations.fits if fit.activation == "sigmoid"]
fig = ch1.boundary_figure([fit for fit in sigmoid if fit.seed == DEMO_SEEDS[0]])

# %% tags=["figure"]
fig = ch1.gradient_figure([fit for fit in activations.fits if fit.init == "playground"])

# %% [markdown]
# The sigmoid fits' boundaries over the epochs, every seed:

# %% tags=["animation"]
animation_html(ch1.boundary_animation(sigmoid, title="1B"))

# %%
# The set's reading of these numbers (write your own in a Markdown cell below).
# BEGIN SOLUTION NO PROMPT
display(Markdown(ch1.text_1b(activations)))
# END SOLUTION

# %% [markdown]
# ## 1C. Dying ReLU and data ordering
#
# *The set:* 1000 points, 500 labelled −1 and 500 +1; train a ReLU net by SGD seeing all the
# negatives first. What happens? (Hint: dying ReLU.)
#
# One pass, one example a step, all the negatives first or shuffled, from the same start.
# A unit is **dead** when it outputs 0 on every one of the 1000 points.

# %% [markdown]
# **The model**, written out in the chapter (`chapters/ch1_principles/p1c_dying_relu.py`):

# %%
print(inspect.getsource(ch1.dying_net))

# %%
SEED_1C = seed_for("1C", "passes", SEED)  # the command line's seed for 1C
RATE_1C = 0.3  # the larger of the set's two rates
net = ch1.dying_net("tanh", learning_rate=RATE_1C)
reinitialize(net, derive_seed(SEED_1C, "1C-init-0"))  # the chapter's start for seed 0
net.summary()
net.compile(optimizer=keras.optimizers.SGD(learning_rate=RATE_1C), loss=half_squared_error)

# %% tags=["figure"]
x1c, y1c = ordered_dataset(
    pset.PLAYGROUND_DATASET,
    pset.DYING_POINTS,
    0.0,
    derive_seed(SEED_1C, "1C-data-0"),
    order="negatives_first",
)
dead = DeadReluMonitor(x1c, batches=100)  # dead units every 100 steps
history = net.fit(
    x1c,
    y1c,
    batch_size=1,
    epochs=1,
    shuffle=False,
    callbacks=[dead, TrainingCurves(title="1C, one pass, negatives first")],
    verbose=0,
)
loss_1c = net.evaluate(x1c, y1c, verbose=0)
steps = dead.to_frame()
print(f"loss on all {len(x1c)} points after the pass: {loss_1c:.4f}")
steps[["step", "dead_fraction"]].T  # the share of ReLU units dead, every 100 steps

# %% [markdown]
# The chapter runs that pass for every order, output and rate (`fast_fit` one example a
# step, the weights `fit` gives):

# %% tags=["figure"]
SEEDS_1C = (0,) if QUICK else (0, 1, 2, 3, 4)
OUTPUTS_1C = ("tanh",) if QUICK else ("tanh", "linear", "softmax")
LEARNING_RATES_1C = (0.03, 0.3)
dying = ch1.dying_relu(
    seeds=SEEDS_1C,
    outputs=OUTPUTS_1C,
    learning_rates=LEARNING_RATES_1C,
    probe_every=100 if QUICK else 50,
    seed=SEED_1C,
)
fig = ch1.dying_figure(dying)

# %%
display(Markdown(ch1.dying_summary(dying.table)))
dying.table

# %% [markdown] tags=["otter_assign_solution_cell"]
# During the negatives every step says "output −1"; a unit feeding the output positively
# is pushed down until its input is ≤ 0 on every point, where ReLU′ = 0 and no gradient
# reaches it again. Whether that, or just fitting the class seen last, is what spoils the
# ordered run is read off the numbers above.

# %% [markdown]
# ## 1D. Approximating functions: OR
#
# *The set:* a network of ReLU units computing OR of two bits with the fewest hidden units:
# output ≥ 1 where OR is 1, exactly 0 where it is 0.

# %% [raw]
# # BEGIN QUESTION
# name: q1d
# points: 2

# %% [markdown]
# **Your model.** Build `or_model`, a Keras net of ReLU units with weights you set
# (`layer.set_weights`), that computes OR to the set's rule with the fewest hidden units.
# `companion.check(or_model, "1D")` holds it to the rule, the ReLU units and the minimum.

# %% [raw]
# # BEGIN SOLUTION

# %%
# BEGIN SOLUTION
WEIGHTS, BIAS = (2.0, 2.0), -1.0  # one ReLU unit, no hidden layer; try (1, 1) and 0
or_model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="relu")])
or_model.layers[0].set_weights([np.array([[WEIGHTS[0]], [WEIGHTS[1]]]), np.array([BIAS])])
# END SOLUTION
or_model.summary()
print(companion.check(or_model, "1D"))

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
verdict = companion.check(or_model, "1D")
assert verdict.passed, verdict

# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG
out = or_model.predict(binary_inputs(2), verbose=0).ravel()  # (0,0), (0,1), (1,0), (1,1)
assert out[0] == 0 and (out[1:] >= 1).all(), out

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% tags=["figure"]
or_table = truth_table(or_model, operator.or_)
or_grid = or_table.pivot(index="x2", columns="x1", values="output")
fig = plot_heatmap(or_grid.values, xlabels=or_grid.columns, ylabels=or_grid.index, title="OR")
fig.axes[0].set(xlabel="x1", ylabel="x2")

# %%
# The set's reading (write your own in a Markdown cell below).
# BEGIN SOLUTION NO PROMPT
display(Markdown(ch1.text_1d(ch1.or_network(weights=WEIGHTS, bias=BIAS))))
# END SOLUTION

# %% [markdown]
# ## 1E. Approximating functions: XOR
#
# *The set:* the fewest fully connected ReLU layers that compute XOR, and why fewer cannot.

# %% [raw]
# # BEGIN QUESTION
# name: q1e
# points: 2

# %% [markdown]
# **Your model.** Build `xor_model`, a Keras net of ReLU layers with weights you set, that
# computes XOR to the set's rule (output ≥ 1 where XOR is 1, exactly 0 where it is 0)
# with the fewest layers. `companion.check(xor_model, "1E")` holds it to the rule.

# %% [raw]
# # BEGIN SOLUTION

# %%
# BEGIN SOLUTION
xor_model = keras.Sequential(
    [
        keras.Input(shape=(2,)),
        keras.layers.Dense(2, activation="relu"),  # h1 = x1 and not x2, h2 = x2 and not x1
        keras.layers.Dense(1, activation="relu"),  # out = h1 or h2, as in 1D
    ]
)
xor_model.layers[0].set_weights([np.array([[2.0, -2.0], [-2.0, 2.0]]), np.array([-1.0, -1.0])])
xor_model.layers[1].set_weights([np.array([[2.0], [2.0]]), np.array([-1.0])])
# END SOLUTION
xor_model.summary()
print(companion.check(xor_model, "1E"))

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
verdict = companion.check(xor_model, "1E")
assert verdict.passed, verdict

# %%
""" # BEGIN TEST CONFIG
hidden: true
"""  # END TEST CONFIG
out = xor_model.predict(binary_inputs(2), verbose=0).ravel()  # (0,0), (0,1), (1,0), (1,1)
assert out[0] == 0 and out[3] == 0 and (out[1:3] >= 1).all(), out

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# **Trained instead of set.** The chapter's trainable net for XOR (`ch1.xor_net`: ReLU hidden
# layers of the widths given, one output unit, Adam, ½(ŷ − y)²) from one random start:

# %%
keras.utils.set_random_seed(seed_for("1E", "starts", SEED))  # the start
XOR_HIDDEN = (8,)  # one hidden layer of 8; try (2,) or () (no hidden layer)
trained = ch1.xor_net(XOR_HIDDEN, output="linear")
trained.summary()
trained.compile(optimizer=keras.optimizers.Adam(0.05), loss=half_squared_error)

# %% tags=["figure"]
x4 = binary_inputs(2)
y4 = np.array([float(a != b) for a, b in x4], dtype="float32")
# 600 full-batch steps, as the chapter trains. An epoch of 4 points is one step, and fit
# spends far longer between epochs than on a step: the points 50 times over make each
# epoch 50 of those steps, the same steps in the same order.
history = trained.fit(
    np.tile(x4, (50, 1)),
    np.tile(y4, 50),
    epochs=12,
    batch_size=4,
    shuffle=False,
    callbacks=[TrainingCurves(every=4, title=f"XOR, hidden {XOR_HIDDEN}")],
    verbose=0,
)
print(f"final loss {trained.evaluate(x4, y4, verbose=0):.4f}")
truth_table(trained, operator.xor, threshold=0.5)  # "right": output ≥ ½ exactly where XOR is 1

# %% [markdown]
# The chapter trains such nets from many starts, with one layer and with two:

# %%
STARTS = 3 if QUICK else 20  # random starts per net
xor = ch1.xor_networks(
    starts=STARTS,
    epochs=600,
    hidden_sizes=(2, 8),
    learning_rate=0.05,
    seed=seed_for("1E", "starts", SEED),
)

# %% tags=["figure"]
shares = xor.two_layer.groupby(["hidden", "output"])["all_four_right"].mean().unstack()
fig = plot_heatmap(
    shares.values,
    xlabels=shares.columns,
    ylabels=shares.index,
    fmt="{:.0%}",
    vmin=0,
    vmax=1,
    title=f"two layers: share of {STARTS} starts with XOR right",
)
fig.axes[0].set(xlabel="output unit", ylabel="hidden units")

# %%
# The set's reading of these numbers (write your own in a Markdown cell below).
# BEGIN SOLUTION NO PROMPT
display(Markdown(ch1.text_1e(xor)))
# END SOLUTION

# %% [markdown]
# ## Exercises
#
# Each exercise varies one thing the set varies, on 1A's data (`d`: seed index 0's circle
# sample). Write your answer in the cell (the instructor's version holds a worked one), then
# say in a sentence what the numbers show. `fast_fit` keeps each run to a second or two.

# %%
EXERCISE_EPOCHS = 250  # 1A's


def final_test_loss(net: keras.Model) -> float:
    """Compile `net` as the Playground does, train it on 1A's data; its final test loss."""
    net.compile(
        optimizer=keras.optimizers.SGD(learning_rate=pset.PLAYGROUND_LEARNING_RATE),
        loss=half_squared_error,
    )
    losses = fast_fit(
        net, d.x_train, d.y_train, epochs=EXERCISE_EPOCHS, validation_data=(d.x_test, d.y_test)
    )
    return float(losses["val_loss"].iloc[-1])


# %% [markdown]
# **Exercise 1 (width).** Train ReLU nets with hidden layers (2, 1), (4, 2) and (8, 4) and a
# tanh output, Glorot starts, and print each one's final test loss. How narrow can the net be
# and still draw a circle?

# %%
# BEGIN SOLUTION
for widths in ((2, 1), (4, 2), (8, 4)):
    keras.utils.set_random_seed(SEED_1A)
    net = keras.Sequential(
        [keras.Input(shape=(2,))]
        + [keras.layers.Dense(w, activation="relu") for w in widths]
        + [keras.layers.Dense(1, activation="tanh")]
    )
    print(f"hidden {widths}: final test loss {final_test_loss(net):.4f}")
# END SOLUTION

# %% [markdown]
# **Exercise 2 (activation).** Train 1A's 4-2 net with `"relu"`, `"tanh"` and `"sigmoid"`
# hidden units from the same Glorot start and print the final test losses. Which learns
# fastest in 250 epochs, and what does 1B's gradient figure say about why?

# %%
# BEGIN SOLUTION
for activation in ("relu", "tanh", "sigmoid"):
    keras.utils.set_random_seed(SEED_1A)
    net = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(4, activation=activation),
            keras.layers.Dense(2, activation=activation),
            keras.layers.Dense(1, activation="tanh"),
        ]
    )
    print(f"{activation}: final test loss {final_test_loss(net):.4f}")
# END SOLUTION

# %% [markdown]
# **Exercise 3 (initialisation).** Train the 4-2 ReLU net from `"zeros"`, from
# `RandomNormal(stddev=0.01)` and from `"glorot_uniform"` weights (biases 0) and print the
# final test losses. Which start breaks the symmetry, and is a tiny random start enough?

# %%
# BEGIN SOLUTION
for init in ("zeros", keras.initializers.RandomNormal(stddev=0.01), "glorot_uniform"):
    keras.utils.set_random_seed(SEED_1A)
    net = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(4, activation="relu", kernel_initializer=init),
            keras.layers.Dense(2, activation="relu", kernel_initializer=init),
            keras.layers.Dense(1, activation="tanh", kernel_initializer=init),
        ]
    )
    name = init if isinstance(init, str) else "RandomNormal(0.01)"
    print(f"{name}: final test loss {final_test_loss(net):.4f}")
# END SOLUTION
