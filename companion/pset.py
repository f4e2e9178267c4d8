"""The problem set's fixed facts, in one place: rules, budgets, bars, grids, settings.

Caltech CS 155, set 4, as its public versions and the 2023 staff solutions give them.
Plain Python values only (no Keras): the chapters, the rule checker (`companion.models`,
`companion.budget`) and the search spaces read them from here. Where a figure is ours and
not the set's (a stricter bar, say), its comment says so.
"""

from __future__ import annotations

# --------------------------------------------------------------------------------------
# Chapter 1: the TensorFlow Playground demos (1A/1B), dying ReLU (1C), OR/XOR (1D/1E)
# --------------------------------------------------------------------------------------

# 1A/1B: the set's two Playground demos (its links: circle data, noise 0, 50 % training
# points, features x1 and x2, hidden layers 4-2, a tanh output, batch 10, rate 0.03).
PLAYGROUND_DATASET = "circle"
PLAYGROUND_POINTS = 500  # the Playground's sample size for every data set
PLAYGROUND_NOISE = 0.0
PLAYGROUND_TRAIN_FRACTION = 0.5  # percTrainData=50
PLAYGROUND_FEATURES = ("x1", "x2")
PLAYGROUND_HIDDEN = (4, 2)  # networkShape=4,2
PLAYGROUND_OUTPUT = "tanh"  # the Playground's output unit is always tanh
PLAYGROUND_BATCH_SIZE = 10
PLAYGROUND_LEARNING_RATE = 0.03
PLAYGROUND_INIT_RANGE = 0.5  # random start: weights U(-0.5, 0.5) (the Playground's nn.ts)
PLAYGROUND_INIT_BIAS = 0.1  # and every bias 0.1
EPOCHS_1A = 250  # "about 250 iterations"
EPOCHS_1B = 4000  # "4000 iterations"
QUICK_EPOCHS_1B = 600  # ours: 1B's length under --quick, not the set's
DEMO_SEEDS, QUICK_DEMO_SEEDS = 3, 2  # ours: the Playground varies by seed; one fit proves little
DEMOS_1A = (("relu", "playground"), ("relu", "zeros"))  # demo 1 random, demo 2 initZero
DEMOS_1B = (("relu", "playground"), ("sigmoid", "playground"), ("sigmoid", "zeros"))
# What the set's students saw (its notes, 1A and 1B), which the reports compare against:
RELU_EXPECTED_BY = 300  # "converges fast", "about 200 epochs": ours, a couple of hundred
SIGMOID_REPORTED = {500: "the 2017 and 2019 students'", 2000: "the 2023 student's"}
ZERO_SIGMOID_REPORTED = 3200  # "starts learning only after about 3200-3300 iterations"

# 1C: 1000 points, 500 per class, a ReLU net trained by SGD with all the negatives first.
DYING_POINTS = 1000
DYING_BATCH_SIZE = 1  # SGD: one example a step, one pass
DYING_HIDDEN = (8, 8)  # ours: the set names no widths
DYING_OUTPUTS = ("tanh", "linear", "softmax")  # the outputs the 2023 text allows
DYING_LEARNING_RATES = (0.03, 0.3)  # the Playground's rate, and ours ten times larger

# 1D: OR of two bits with the fewest hidden units: out = ReLU(2·x1 + 2·x2 − 1).
OR_WEIGHTS, OR_BIAS = (2.0, 2.0), -1.0
# 1E: the staff's XOR net, h1 = ReLU(2x1 − 2x2 − 1), h2 = ReLU(−2x1 + 2x2 − 1), out = OR.
XOR_WEIGHTS = (([[2.0, -2.0], [-2.0, 2.0]], [-1.0, -1.0]), ([2.0, 2.0], [-1.0]))
# The set's truth-table rule for 1D/1E, on the four binary inputs: the output is >= 1 where
# the answer is 1 and exactly 0 where it is 0 ("OR(1,0) >= 1, ..., OR(0,0) = 0").
LOGIC_INPUTS = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))
OR_TABLE, XOR_TABLE = (0, 1, 1, 1), (0, 1, 1, 0)  # the answers, in LOGIC_INPUTS' order
LOGIC_ON = 1.0  # an answer 1 needs an output of at least this; an answer 0 needs exactly 0
# Hidden units are ReLUs; the output unit is a ReLU or linear (the set's notes accept the
# identity output x1 + x2 for OR and h1 - 2·h2 + h3 for XOR).
LOGIC_HIDDEN_ACTIVATIONS = ("relu",)
LOGIC_OUTPUT_ACTIVATIONS = ("relu", "linear")
OR_MIN_HIDDEN_UNITS = 0  # 1D's fewest hidden units: one ReLU output unit does it
XOR_MIN_HIDDEN_LAYERS = 1  # 1E's minimum depth: one hidden layer (XOR is not linearly separable)
# ours: XOR trained from random starts, full batch on the four points
XOR_STARTS, XOR_EPOCHS, XOR_LEARNING_RATE = 20, 600, 0.05
XOR_HIDDEN_SIZES, XOR_OUTPUTS = (2, 8), ("relu", "linear")


# The problems whose models the grader (`companion.check`) holds to these rules.
GRADED_PROBLEMS = ("1D", "1E", "2C", "3B", "3C", "3D", "4F")


# --------------------------------------------------------------------------------------
# Chapter 2: linear nets on COVID-19 case data (2A–2D)
# --------------------------------------------------------------------------------------

# 2B: the inputs the set allows, and the staff's split and rebalancing.
COVID_INPUTS = (7, 12)  # "between 7 and 12 input variables", death_yn the dependent one
COVID_UNDERSAMPLE_RATIO = 5.0  # the staff's training mix: 5 survivors kept per death (1:5)
COVID_TEST_SHARE = 0.15  # the staff tested on 38,823 of 259,715 rows (15 %)
COVID_VAL_SHARE = 0.15  # ours: the set has no validation split; we watch one per epoch

# 2C/2D: the nets and how the staff trained them.
LINEAR_HIDDEN_WIDTH = 5  # 2C: "one linear layer of size 5", no activation
LINEAR_CLASSES = 2  # "a binary output layer (with softmax)": two softmax columns
LINEAR_EPOCHS = 20  # the staff's; --quick keeps it and uses fewer rows
LINEAR_BATCH_SIZE = 32  # the staff's
LINEAR_LEARNING_RATE = 1e-3  # the staff's Adam rate (the set suggests Adam or RMSprop)
# 2C's output: two softmax columns, or one sigmoid unit (the set's notes accept either).
LINEAR_OUTPUTS = {2: "softmax", 1: "sigmoid"}
# Ours, not the set's: the grader's ROC AUC bar for 2C. The majority class alone scores about
# 97 % accuracy on this data, so accuracy proves nothing; an AUC of 0.5 is chance, and 0.6
# asks for a ranking clearly better than chance (chapter 2's net scored 0.959 in a quick run,
# on its synthetic test split; a constant net scores 0.5).
LINEAR_AUC_BAR = 0.6
# Ours: the grader's default COVID data when none is given: the chapter's quick-run size of
# synthetic cases, with a seed of the grader's own (the shipped 400-row fixture holds only 8
# deaths, too few for an AUC that means anything).
GRADE_COVID_ROWS, GRADE_COVID_SEED = 20_000, 2023


# --------------------------------------------------------------------------------------
# Chapter 3: depth vs width on MNIST under hidden-unit budgets (3A–3D)
# --------------------------------------------------------------------------------------

# The three budgets (3B, 3C, 3D): at most `max_units` hidden units in at least
# `min_layers` hidden layers. Only the widths of the hidden Dense layers count; activations,
# Dropout, Flatten and the output layer do not.
MLP_BUDGETS = {
    "3B": {"max_units": 100, "min_layers": 1},
    "3C": {"max_units": 200, "min_layers": 2},
    "3D": {"max_units": 1000, "min_layers": 3},
}
# The test accuracy each net must reach on more than half of its training runs.
MLP_SET_BARS = {"3B": 0.975, "3C": 0.980, "3D": 0.983}
# Ours, not the set's: a stricter bar for the median over seeds.
MLP_OUR_BARS = {"3B": 0.980, "3C": 0.984, "3D": 0.987}
MLP_PASS_SHARE = 0.5  # "achieves accuracy >= x" means on more than this share of the runs
# A Sequential model of these layers only (Flatten since 2021; Activation carries the
# allowed activations), ending in Dense(10) and a softmax, trained with this loss.
MLP_ALLOWED_LAYERS = ("Dense", "ReLU", "Activation", "Softmax", "Dropout", "Flatten")
MLP_ACTIVATIONS = ("linear", "relu", "softmax")
MLP_LOSS = "categorical_crossentropy"
MNIST_PIXELS = 784  # a 28 x 28 image, flattened; the set divides the 0-255 bytes by 255
MNIST_CLASSES = 10
MNIST_TRAIN_IMAGES, MNIST_TEST_IMAGES = 60_000, 10_000


# --------------------------------------------------------------------------------------
# Chapter 4E: the hyperparameter search's grid
# --------------------------------------------------------------------------------------

# The set's example grid for 4E: learning rate in {1e-1, ..., 1e-5} × dropout rate in
# {0, 0.1, ..., 0.5}, 30 combinations. The searches' budgets (8 trials per strategy, 3 in a
# quick run), epochs (1) and image counts (2,048 training, 5,120 validation) are ours, not
# the set's (it only asks to pick a strategy and name a strength and a limitation): they
# stay with the chapter's run (`chapters/ch4_cnn/p4e_search.py`).
SEARCH_LEARNING_RATES = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5)
SEARCH_DROPOUT_RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
# The three strategies 4E compares: the set names grid and random search and asks for one
# more (we take keras-tuner's Bayesian optimisation).
SEARCH_STRATEGIES = ("grid", "random", "bayesian")


# --------------------------------------------------------------------------------------
# Chapter 4F: the CNN's rules, the dropout sweep, the bars
# --------------------------------------------------------------------------------------

# The set's rules for 4F's model (checked by `companion.models.check_model(model, CNN_RULES)`):
# a Sequential model of only these layers, fewer than 1,000,000 parameters, and at least one
# Dropout (that drops something: rate above 0) and one BatchNormalization layer.
CNN_RULES_NAME = "problem 4F (CS 155 set 4)"
CNN_ALLOWED_LAYERS = (
    "Conv2D",
    "MaxPooling2D",
    "BatchNormalization",
    "Dropout",
    "Dense",
    "ReLU",
    "Softmax",
    "Flatten",
)
CNN_MAX_PARAMS = 999_999  # "< 1,000,000", counted as `model.count_params()` counts them
CNN_REQUIRED_LAYERS = ("Dropout", "BatchNormalization")
CNN_SEQUENTIAL = True
# The set's training: categorical cross-entropy, batch size 32, 10 epochs for the final model.
CNN_BATCH_SIZE = 32
CNN_EPOCHS = 10
# The set's bar for 4F's test accuracy, and ours (stricter; ours, not the set's).
CNN_SET_BAR = 0.985
CNN_OUR_BAR = 0.993
# The set's dropout sweep: every Dropout layer at each of 10 equally spaced rates in [0, 1)
# (our reading: 0.0, 0.1, ..., 0.9; rate 1 would drop everything), 1 epoch each.
CNN_SWEEP_RATES = tuple(round(0.1 * i, 1) for i in range(10))
CNN_SWEEP_EPOCHS = 1
# Ours: one epoch favours weak regularisation, so among the rates whose one-epoch validation
# accuracy is within this much of the best, 4F takes the largest.
CNN_SWEEP_TOLERANCE = 0.005
# Ours: 4F trains on images shifted by up to 1 pixel each way, drawn afresh each epoch, in
# the input pipeline (the model keeps the allowed layers): +0.1 pt validation accuracy at 0.2.
CNN_MAX_SHIFT = 1
# Ours: the regularisers 4F compares (the set asks which of dropout, layer-wise penalties and
# batch norm worked best): none, each alone, and batch norm with dropout.
REGULARIZERS = ("none", "batch norm", "dropout", "batch norm + dropout", "L2")
# Ours: the strength of the comparison's L2 weight penalty (one value, not tuned).
CNN_L2_STRENGTH = 1e-4
# Ours: the chapter's CNN as `companion.models.cnn` settings (the chapter writes its layers
# out; a test checks the two agree): 2 conv blocks and one hidden dense layer. Pool before
# batch norm: a quarter of the normalising work, the same test accuracy (0.9938 either way
# in our full runs), about a quarter less time per step on this CPU.
CNN_ARCHITECTURE = {"filters": (16, 32), "dense_units": (128,), "pool_first": True}
# The 2023 staff solutions' sample dropout sweep for 4F (CS 155 set 4, 2023 staff solutions,
# problem 4F): test accuracy after one epoch (batch 32) at each of the ten rates, most
# plausibly p = 0.0, 0.1, ..., 0.9 (the list ends at 0.962, which p = 1.0 cannot give). The
# staff trained their own, smaller CNN, not ours: the figures compare recipes, not models.
CNN_STAFF_SWEEP_2023 = (
    0.9931,
    0.9914,
    0.9925,
    0.9906,
    0.9887,
    0.9900,
    0.9895,
    0.9864,
    0.9817,
    0.9619,
)
CNN_STAFF_SWEEP_SOURCE = "the CS 155 set 4 2023 staff solutions, problem 4F"
# Ours: where our sweep's test accuracy and the staff's differ by more than this, the curves part.
CNN_STAFF_MARGIN = 0.01
# Ours: earlier releases swept on the first 20,480 training images; 4F trains one high rate
# on that subset as well as on the whole split, to measure what the subset does to the drop.
CNN_SUBSET_IMAGES = 20_480
CNN_SUBSET_PROBE_RATE = 0.8
# Ours: how many seeds 4F's regulariser comparison and final model train in a full run.
CNN_SEEDS = 3
