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

# (4F's facts go here)
