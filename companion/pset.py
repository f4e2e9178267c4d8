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

# The set's example grid for 4E: learning rate in {1e-1, ..., 1e-5} × dropout rate in
# {0, 0.1, ..., 0.5}, 30 combinations. The searches' budgets (8 trials per strategy, 3 in a
# quick run), epochs (1) and image counts (2,048 training, 5,120 validation) are ours, not
# the set's (it only asks to pick a strategy and name a strength and a limitation): they
# stay with the chapter's run (`chapters/ch4_cnn/p4e_search.py`).
SEARCH_LEARNING_RATES = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5)
SEARCH_DROPOUT_RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


# --------------------------------------------------------------------------------------
# Chapter 4F: the CNN's rules, the dropout sweep, the bars
# --------------------------------------------------------------------------------------

# (4F's facts go here)
