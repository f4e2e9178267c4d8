"""The problem set's fixed facts, in one place: rules, budgets, bars, grids, settings.

Caltech CS 155, set 4 (see `../shared/reference/problem-set.md` in the project's workspace).
Plain Python values only (no Keras): the chapters, the rule checker (`companion.models`,
`companion.budget`) and the search spaces read them from here. Where a figure is ours and
not the set's (a stricter bar, say), its comment says so.
"""

from __future__ import annotations

# --------------------------------------------------------------------------------------
# Chapter 1: the TensorFlow Playground demos (1A/1B), dying ReLU (1C), OR/XOR (1D/1E)
# --------------------------------------------------------------------------------------

# (chapter 1's facts go here)


# --------------------------------------------------------------------------------------
# Chapter 2: linear nets on COVID-19 case data (2A–2D)
# --------------------------------------------------------------------------------------

# (chapter 2's facts go here)


# --------------------------------------------------------------------------------------
# Chapter 3: depth vs width on MNIST under hidden-unit budgets (3A–3D)
# --------------------------------------------------------------------------------------

# (chapter 3's facts go here)


# --------------------------------------------------------------------------------------
# Chapter 4E: the hyperparameter search's grid
# --------------------------------------------------------------------------------------

# (4E's facts go here)


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
