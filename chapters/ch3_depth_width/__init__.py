"""Chapter 3: depth vs width, fully connected nets on MNIST under hidden-unit budgets.

3A reads the data's facts off the arrays. 3B, 3C and 3D train the chosen net for each
budget (at most 100 units; 200 units in 2+ layers; 1000 units in 3+ layers) with several
seeds and report every net, the median and the pass rate. The study then asks how a
budget is best spent, one wide layer or several narrow ones, with several seeds per
shape and a keras-tuner search whose every draw fits the budget.

Architectures, dropout and epochs were chosen on the validation split; the test set is
used only for the final figures of 3B-3D. The candidates they were chosen from are
retrained by `--explore` (one seed each, validation only); without it, the report quotes
the table an earlier full-MNIST exploration stored in chapters/data/, with its date,
command and data.

    python -m chapters.ch3_depth_width --quick
    python -m chapters.ch3_depth_width --mnist mnist.npz
    python -m chapters.ch3_depth_width --mnist mnist.npz --explore --only 3B,3C,3D

The modules: `settings` (budgets, chosen recipes, candidates), `p3a_data` (3A),
`p3b_p3d_budgets` (3B-3D: each net written out in Keras, compiled and fitted),
`budget_report` (3B-3D's results and text), `candidates` (the evidence for each choice),
`study_depth_width` (the study), `proxy_check` (the study's verdicts retrained at 3B's and
3C's recipes). Each problem's seeds come from `ctx.seed_for(part)`. The
problem modules import Keras at their top; this package loads them on first use (PEP 562),
so `--help` answers without loading Keras.
"""

from __future__ import annotations

from dataclasses import asdict

from chapters.ch3_depth_width.settings import BUDGETS, CHOSEN, budget_title
from companion.run.lazy import lazy_exports, public_names
from companion.run.runner import Problem, run_chapter
from companion.search.cli import add_workers_flag

_MODULES = {
    "p3a_data": [
        "DataFacts",
        "balance_text",
        "data_facts",
        "plot_digits_per_class",
        "run_3a",
        "text_3a",
    ],
    "p3b_p3d_budgets": [
        "MODELS",
        "budget_model",
        "builder",
        "explore",
        "explore_candidates",
        "model_3b",
        "model_3c",
        "model_3d",
        "run_3b",
        "run_3c",
        "run_3d",
        "train_recipe",
    ],
    "budget_report": [
        "MEASURED_MARK",
        "QUOTED_MARK",
        "BudgetResult",
        "agreement",
        "budget_text",
        "headline",
        "plot_budget_runs",
        "rules_text",
        "text_3b",
        "text_3c",
        "text_3d",
    ],
    "candidates": [
        "Exploration",
        "TrainedNet",
        "candidates_table",
        "choice_text",
        "choice_verdict",
        "mark_chosen",
        "save_exploration",
        "shape_text",
        "shape_verdict",
        "stored_exploration",
    ],
    "proxy_check": [
        "BudgetCheck",
        "ProxyCheck",
        "carries",
        "check_proxy",
        "proxy_check_text",
        "seed_verdict",
    ],
    "settings": [
        "CANDIDATES",
        "CHECK_PROBLEMS",
        "CHOICE_TOLERANCE",
        "QUICK_EPOCHS",
        "QUICK_SIZES",
        "QUICK_STUDY_TRAIN",
        "SEEDS",
        "STUDY_BUDGETS",
        "STUDY_EPOCHS",
        "STUDY_SEEDS",
        "STUDY_TRAIN",
        "TUNER_TRIALS",
        "Budget",
        "Recipe",
    ],
    "study_depth_width": [
        "StudyResult",
        "depth_width_study",
        "plot_study",
        "run_study",
        "study_findings",
        "study_net",
        "study_shapes",
        "study_verdicts",
        "text_study",
        "tuner_gaps",
        "tuner_vs_study",
    ],
}
__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())

CHAPTER = "ch3_depth_width"
TITLE = "Chapter 3: Depth vs width on MNIST under hidden-unit budgets"

PROBLEMS = [
    Problem("3A", "The data", f"{__name__}.p3a_data:run_3a"),
    Problem("3B", budget_title(BUDGETS["3B"]), f"{__name__}.p3b_p3d_budgets:run_3b"),
    Problem("3C", budget_title(BUDGETS["3C"]), f"{__name__}.p3b_p3d_budgets:run_3c"),
    Problem("3D", budget_title(BUDGETS["3D"]), f"{__name__}.p3b_p3d_budgets:run_3d"),
    Problem(
        "study",
        "Depth vs width: how to spend a budget",
        f"{__name__}.study_depth_width:run_study",
    ),
]

# Every lazily exported name, and what this package defines itself.
__all__ = public_names(_MODULES, "BUDGETS", "CHOSEN", "PROBLEMS", "main")


def main(argv=None) -> int:
    """Run chapter 3 and write its run folder."""
    return run_chapter(
        CHAPTER,
        TITLE,
        PROBLEMS,
        argv,
        description=__doc__.splitlines()[0],
        uses_mnist=True,
        add_arguments=add_arguments,
        config={"chosen": {k: asdict(v) for k, v in CHOSEN.items()}},
    )


def add_arguments(parser) -> None:
    """Chapter 3's own flags: --workers (for the study's searches) and --explore."""
    add_workers_flag(parser)
    parser.add_argument(
        "--explore",
        action="store_true",
        help="3B-3D: also retrain the candidate recipes (one seed each) and report their "
        "measured table instead of the stored one; writes histories/<id>_candidates.csv/.json",
    )
