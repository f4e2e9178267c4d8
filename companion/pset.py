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

# (4F's facts go here)
