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
# # Chapter 1: deep-learning principles, TensorFlow Playground's demos in Keras
#
# Problem 1 of CS 155 set 4, worked with the `companion` library. Each section states the
# set's question, answers it with the chapter's own functions (`chapters.ch1_principles`),
# draws the figures and reads the numbers. Change a setting in a cell and run it again.
# `python -m chapters.ch1_principles` runs the same problems and writes a full report.

# %%
# On Colab or in a fresh environment, install the companion first (remove the leading #):
# # !pip install "companion @ git+https://github.com/OWNER/companion"
import logging

from chapters import ch1_principles as ch1
from companion import playground_dataset, plot_heatmap, set_seed
from companion.boundary import plot_boundary, plot_neurons

QUICK = True  # True: short training (about a minute in all); False: the set's settings
SEED = 0
logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notes in the outputs

set_seed(SEED)
# The demos' data: the Playground's circle, 500 points, no noise, half for training.
data = playground_dataset("circle", 500, noise=0.0, seed=SEED, train_fraction=0.5)

# %% [markdown]
# ## 1A. Backpropagation and initialisation: ReLU from random and zero starts
#
# *The set:* train the Playground's two demos (circle data, a 4-2 ReLU net, batch 10,
# learning rate 0.03) for about 250 iterations, one from a random start and one from all
# zeros, and explain with backprop why they differ.

# %% tags=["figure"]
EPOCHS_1A = 250  # the set's; cheap enough in quick mode too
demos = ch1.init_demos(data, epochs=EPOCHS_1A, seed=SEED)
random_start, zero_start = demos.runs["random"], demos.runs["zeros"]
fig = ch1.loss_figure(demos.runs)

# %% tags=["figure"]
fig = ch1.boundary_figure(demos.runs, data)

# %% tags=["figure"]
plot_neurons(random_start.neurons, title="random start: each hidden unit at the end")

# %%
moved = "never moved" if demos.zero_weights_moved == 0 else "moved"
print(
    f"Random start: test loss {random_start.history['val_loss'].iloc[0]:.3f} -> "
    f"{random_start.final_test_loss:.4f} in {EPOCHS_1A} epochs.\n"
    f"Zero start: test loss ends at {zero_start.final_test_loss:.4f}. The largest gradient "
    f"outside the output bias was {demos.zero_max_gradient_training:g} over "
    f"{len(zero_start.outside_output_bias)} checks, and every weight but the output bias "
    f"{moved} from 0 (largest: {demos.zero_weights_moved:g})."
)
zero_start.start_gradients  # the gradient tape at the zero start, one row per weight

# %% [markdown]
# From zeros, a hidden layer's gradient δ^l (x^(l−1))ᵀ carries W^(l+1) = 0 inside δ^l, and
# the output layer's carries x^(L−1) = ReLU(0) = 0: only the output bias can move, and a bias
# alone cannot make the output depend on the input. The random start breaks the symmetry.
#
# **Try it:** change the learning rate and see what the random start reaches.

# %% tags=["figure"]
LEARNING_RATE = 0.1  # the Playground's is 0.03; try 0.003 or 0.3
trial = ch1.playground_demo(data, learning_rate=LEARNING_RATE, epochs=EPOCHS_1A, seed=SEED)
print(
    f"learning rate {LEARNING_RATE:g}: final test loss {trial.final_test_loss:.4f} "
    f"(0.03 gave {random_start.final_test_loss:.4f})"
)
plot_boundary(
    trial.model,
    data.x_train,
    data.y_train,
    x_test=data.x_test,
    y_test=data.y_test,
    title=f"learning rate {LEARNING_RATE:g}, {EPOCHS_1A} epochs",
)

# %% [markdown]
# ## 1B. Backpropagation and initialisation: sigmoid, 4000 epochs
#
# *The set:* switch both demos to sigmoid and train each for 4000 iterations; explain how the
# learned models and the speed of learning differ from 1A, by backprop and the sigmoid.

# %%
EPOCHS_1B = 300 if QUICK else 4000
activations = ch1.activation_demos(data, epochs=EPOCHS_1B, seed=SEED)
ch1.settle_table(activations)

# %% tags=["figure"]
fig = ch1.loss_figure(activations.runs, train=False)

# %% tags=["figure"]
sigmoid_runs = {k: r for k, r in activations.runs.items() if k.startswith("sigmoid")}
fig = ch1.boundary_figure(sigmoid_runs, data)

# %% tags=["figure"]
random_runs = {k: r for k, r in activations.runs.items() if k.endswith("random")}
fig = ch1.gradient_figure(random_runs)

# %%
settle = activations.settle


def settled(key: str) -> str:
    """When a run settled, or that it had not by the end."""
    if settle[key] >= 0.95 * EPOCHS_1B:
        return f"had not settled by epoch {EPOCHS_1B}"
    return f"settled at epoch {settle[key]}"


print(
    f"From a random start the ReLU net {settled('relu/random')} and the sigmoid net "
    f"{settled('sigmoid/random')}.\n"
    + ch1.zero_sigmoid_progress(activations.runs["sigmoid/zeros"], settle["sigmoid/zeros"])
    + f"\nThe zero-started sigmoid units differ by at most {activations.zero_symmetry_max:g} "
    f"over the run, and moving across their shared direction changes the output by at most "
    f"{activations.zero_boundary_spread:.3g}: "
    + (
        "identical units, a straight boundary."
        if activations.zero_boundary_spread < 1e-3
        else "the units are not identical here."
    )
)

# %% [markdown]
# σ′(s) ≤ ¼, so every sigmoid layer the error passes back through shrinks it: the lower
# layers start almost still (the gradient figure). From zeros, sigmoid(0) = ½ ≠ 0 lets the
# output weights move, but all units of a layer get the same update and stay identical.

# %% [markdown]
# ## 1C. Dying ReLU and data ordering
#
# *The set:* 1000 points, 500 labelled −1 and 500 +1; train a ReLU net by SGD seeing all the
# negatives first. What happens? (Hint: dying ReLU.)

# %% tags=["figure"]
SEEDS_1C = (0,) if QUICK else (0, 1, 2, 3, 4)
OUTPUTS_1C = ("tanh",) if QUICK else ("tanh", "linear", "softmax")
LEARNING_RATES_1C = (0.03, 0.3)
dying = ch1.dying_relu(
    seeds=SEEDS_1C,
    outputs=OUTPUTS_1C,
    learning_rates=LEARNING_RATES_1C,
    probe_every=100 if QUICK else 50,
    seed=SEED,
)
fig = ch1.dying_figure(dying)

# %%
print(ch1.dying_summary(dying.table))
dying.table

# %% [markdown]
# ## 1D. Approximating functions: OR
#
# *The set:* a network of ReLU units computing OR of two bits with the fewest hidden units:
# output ≥ 1 where OR is 1, exactly 0 where it is 0.

# %% tags=["figure"]
WEIGHTS, BIAS = (2.0, 2.0), -1.0  # one ReLU unit, no hidden layer
or_net = ch1.or_network(weights=WEIGHTS, bias=BIAS)
print(
    f"ReLU({WEIGHTS[0]:g}·x1 + {WEIGHTS[1]:g}·x2 {BIAS:+g}) meets the set's rule on all four "
    f"inputs: {or_net.correct} ({or_net.hidden_units} hidden units)"
)
or_grid = or_net.table.pivot(index="x2", columns="x1", values="output")
fig = plot_heatmap(or_grid.values, xlabels=or_grid.columns, ylabels=or_grid.index, title="OR")
fig.axes[0].set(xlabel="x1", ylabel="x2")
fig

# %% [markdown]
# ## 1E. Approximating functions: XOR
#
# *The set:* the fewest fully connected ReLU layers that compute XOR, and why fewer cannot.

# %%
STARTS = 3 if QUICK else 20
xor = ch1.xor_networks(
    starts=STARTS, epochs=600, hidden_sizes=(2, 8), learning_rate=0.05, seed=SEED
)
xor.handbuilt.table

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
fig

# %%
print(
    f"The hand-built two-layer net computes XOR: {xor.handbuilt.correct}. A single ReLU unit, "
    f"trained from {STARTS} starts, gets at most {xor.single_layer['right'].max()} of 4 right "
    f"(XOR is not linearly separable); the two-layer nets get all four in "
    f"{xor.two_layer['all_four_right'].mean():.0%} of their starts."
)
