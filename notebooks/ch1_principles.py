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
# # Chapter 1: deep-learning principles, TensorFlow Playground's demos in Keras
#
# Problem 1 of CS 155 set 4, worked with the `companion` library. Each section states the
# set's question, answers it with the chapter's own functions (`chapters.ch1_principles`),
# draws the figures and reads the numbers: the reading is the chapter's own text, the same
# as `python -m chapters.ch1_principles` writes in its report, chosen by this run's numbers.
# Change a setting in a cell and run it again.

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
from companion.seed import derive_seed

QUICK = True  # True: 2 seeds, short training (well under a minute); False: the set's settings
SEED = 0  # the base seed: every data draw and start below is derived from it
set_seed(SEED)


def seed_for(problem: str, part: str) -> int:
    """The chapter's seed rule, so these numbers match `python -m chapters.ch1_principles`."""
    return derive_seed(SEED, f"{problem}:{part}")


logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notes in the outputs

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
# The net is written out in the chapter as Keras (`ch1.playground_net` in
# `chapters/ch1_principles/p1a_init.py`): a `keras.Sequential` of Dense layers of 4 and 2
# units and a tanh output, compiled with plain SGD at rate 0.03 and the loss ½(ŷ − y)².

# %%
ch1.playground_net("relu").summary()

# %%
DEMO_SEEDS = (0, 1) if QUICK else (0, 1, 2)  # add seeds to see more of the spread
EPOCHS_1A = 250  # the set's; cheap enough in quick mode too
demos = ch1.init_demos(seeds=DEMO_SEEDS, epochs=EPOCHS_1A, seed=seed_for("1A", "demos"))
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

# %% [markdown]
# **The reading**, as the chapter's report writes it from these numbers:

# %%
display(Markdown(ch1.text_1a(demos)))

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
    seed=derive_seed(seed_for("1A", "demos"), f"init-{same.seed}"),  # 1A's start for it
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
activations = ch1.activation_demos(seeds=DEMO_SEEDS, epochs=EPOCHS_1B, seed=seed_for("1B", "demos"))
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

# %% [markdown]
# **The reading**, as the chapter's report writes it from these numbers:

# %%
display(Markdown(ch1.text_1b(activations)))

# %% [markdown]
# ## 1C. Dying ReLU and data ordering
#
# *The set:* 1000 points, 500 labelled −1 and 500 +1; train a ReLU net by SGD seeing all the
# negatives first. What happens? (Hint: dying ReLU.)
#
# One pass, one example a step, all the negatives first or shuffled, from the same start.
# A unit is **dead** when it outputs 0 on every one of the 1000 points.

# %% tags=["figure"]
SEEDS_1C = (0,) if QUICK else (0, 1, 2, 3, 4)
OUTPUTS_1C = ("tanh",) if QUICK else ("tanh", "linear", "softmax")
LEARNING_RATES_1C = (0.03, 0.3)
dying = ch1.dying_relu(
    seeds=SEEDS_1C,
    outputs=OUTPUTS_1C,
    learning_rates=LEARNING_RATES_1C,
    probe_every=100 if QUICK else 50,
    seed=seed_for("1C", "passes"),
)
fig = ch1.dying_figure(dying)

# %%
display(Markdown(ch1.dying_summary(dying.table)))
dying.table

# %% [markdown]
# During the negatives every step says "output −1"; a unit feeding the output positively
# is pushed down until its input is ≤ 0 on every point, where ReLU′ = 0 and no gradient
# reaches it again. Whether that, or just fitting the class seen last, is what spoils the
# ordered run is read off the numbers above.

# %% [markdown]
# ## 1D. Approximating functions: OR
#
# *The set:* a network of ReLU units computing OR of two bits with the fewest hidden units:
# output ≥ 1 where OR is 1, exactly 0 where it is 0.

# %% tags=["figure"]
WEIGHTS, BIAS = (2.0, 2.0), -1.0  # one ReLU unit, no hidden layer; try (1, 1) and 0
or_net = ch1.or_network(weights=WEIGHTS, bias=BIAS)
or_grid = or_net.table.pivot(index="x2", columns="x1", values="output")
fig = plot_heatmap(or_grid.values, xlabels=or_grid.columns, ylabels=or_grid.index, title="OR")
fig.axes[0].set(xlabel="x1", ylabel="x2")
print(
    f"ReLU({WEIGHTS[0]:g}·x1 + {WEIGHTS[1]:g}·x2 {'−+'[BIAS >= 0]} {abs(BIAS):g}) meets the "
    f"set's rule on all four "
    f"inputs: {or_net.correct} ({or_net.hidden_units} hidden units)"
)

# %%
display(Markdown(ch1.text_1d(or_net)))  # the report's text, written for the set's weights

# %% [markdown]
# ## 1E. Approximating functions: XOR
#
# *The set:* the fewest fully connected ReLU layers that compute XOR, and why fewer cannot.

# %%
STARTS = 3 if QUICK else 20  # random starts per net
xor = ch1.xor_networks(
    starts=STARTS,
    epochs=600,
    hidden_sizes=(2, 8),
    learning_rate=0.05,
    seed=seed_for("1E", "starts"),
)
xor.handbuilt.table  # h1 = x1 and not x2, h2 = x2 and not x1, out = ReLU(2·h1 + 2·h2 − 1)

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
single_best = int(xor.single_layer["right"].max())
print(
    f"The hand-built two-layer net computes XOR: {xor.handbuilt.correct}.\n"
    f"A single ReLU unit, trained from {STARTS} starts, gets at most {single_best} of 4 right"
    + (
        " (XOR is not linearly separable)."
        if single_best < 4
        else ": all four, which one layer cannot do; look for a bug."
    )
    + "\nTwo-layer nets, share of starts with all four right: "
    + "; ".join(f"{h} hidden, {o} output: {v:.0%}" for (h, o), v in shares.stack().items())
)

# %% [markdown]
# A single layer of ReLU units is 0 on one side of a line and grows on the other, so
# "output ≥ 1" and "output = 0" are split by a straight line; XOR's pairs (0, 1), (1, 0) and
# (0, 0), (1, 1) share the midpoint (½, ½), which would have to lie on both sides. Two
# layers suffice: two hidden units each pick out one of the 1-cases and the output ORs them
# (1D). A trained start can fail when a unit is off on all four inputs (dead, as in 1C) and
# gets no gradient; with a ReLU output, the output unit itself can be that unit. The shares
# above show how often it happens here by width and output (more starts, a steadier share).
