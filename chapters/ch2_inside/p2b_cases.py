"""Problem 2B: the COVID-19 cases of this run, prepared with pandas, and how each step works.

The cases and their split belong to 2B: they are made once per run with 2B's seeds, and
2C and 2D reuse them (`ctx.seed_for(part, problem=owner)` gives a later problem the seed its owner used).
Every section built on them starts with `data_line`, which says loudly when they are
synthetic; `tag` marks figure titles and captions the same way.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from chapters.ch2_inside import QUICK_ROWS, SYNTHETIC_ROWS
from companion.data.covid import (
    LEVELS,
    covid_description,
    load_covid_csv,
    sample_cases,
    synthetic_covid,
)
from companion.run.markdown import markdown_table
from companion.run.runner import Context, Section
from companion.tabular.plots import plot_outcome_rates
from companion.tabular.prepare import TabularData, drop_unknown_target, prepare_covid


def covid_cases(ctx: Context) -> pd.DataFrame:
    """The cases for this run (made once, with 2B's seed): the --csv file or synthetic ones."""

    def load() -> pd.DataFrame:
        seed, note = ctx.seed_for("cases", problem="2B"), ""
        if ctx.args.csv is None:
            frame = synthetic_covid(
                ctx.args.rows or (QUICK_ROWS if ctx.quick else SYNTHETIC_ROWS), seed=seed
            )
        else:
            frame = load_covid_csv(ctx.args.csv)
            if ctx.quick and len(frame) > QUICK_ROWS:
                frame = sample_cases(frame, QUICK_ROWS, seed=seed)
                note = f" (--quick: a random {QUICK_ROWS:,} of its rows)"
        ctx.folder.note_data("covid", covid_description(frame) + note)
        return frame

    return ctx.cached("covid_cases", load)


def tabular_data(ctx: Context) -> TabularData:
    """The prepared arrays for this run (prepared once, with 2B's seed)."""
    args = ctx.args
    return ctx.cached(
        "tabular",
        lambda: prepare_covid(
            covid_cases(ctx),
            dates=args.dates,
            encoding=args.encoding,
            balance=args.balance,
            ratio=args.ratio,
            seed=ctx.seed_for("split", problem="2B"),
        ),
    )


def data_line(source: dict[str, Any]) -> str:
    """The first line of each data section: which data, loudly if synthetic."""
    if not source.get("synthetic"):
        return f"Data: {source.get('source')} (CDC case surveillance layout).\n\n"
    why = (
        f'read from {source.get("source")}, which says so in its first line ("{source["marker"]}")'
        if "marker" in source
        else "because the CDC file was not given with `--csv`"
    )
    return (
        "**Data: SYNTHETIC cases** in the CDC layout (invented rates, see "
        f"`companion.data.covid`), {why}. "
        "The numbers below show the method, not facts about COVID-19.\n\n"
    )


def tag(source: dict[str, Any]) -> str:
    """A suffix for figure titles and captions."""
    return " [SYNTHETIC data]" if source.get("synthetic") else ""


def text_2b(data: TabularData, figures: dict[str, str] | None = None) -> str:
    """Problem 2B's Markdown: the steps with their row counts, and why each step."""
    rows, s = data.rows_after_steps(), data.settings
    loaded, known = rows["loaded"], rows["death_yn Yes/No"]
    return (
        data_line(data.source)
        + "Steps, with the rows and columns after each:\n\n"
        + markdown_table(data.steps)
        + "\n- **Outcome**: rows whose death_yn is Unknown or Missing cannot teach anything "
        f"about death, so they go first; {loaded - known:,} of {loaded:,} rows.\n"
        + f"- **Dates**: {_dates_text(s['dates'])}\n"
        + f"- **Categoricals**: {_encoding_text(s['encoding'])}\n"
        + "- **Scaling**: every input is standardised with the training split's mean and "
        "spread only; a missing value (an age group of Missing, a blank date) becomes the "
        "training mean, 0.\n"
        + f"- **Imbalance**: {_balance_text(data)}; validation and test keep the real mix, "
        "so their scores are honest.\n"
        + f"- **Inputs** ({data.input_dim}, the set asks for 7 to 12): "
        + ", ".join(f"`{n}`" for n in data.feature_names)
        + ".\n\n"
        + (figures or {}).get("death_rates", "")
    )


def run_2b(ctx: Context) -> Section:
    """Problem 2B: preprocess the cases and show the death rates they hold."""
    data = tabular_data(ctx)
    synthetic = bool(data.source.get("synthetic"))
    figure = ctx.folder.figure_md(
        plot_outcome_rates(
            drop_unknown_target(covid_cases(ctx)),
            ("age_group", "hosp_yn"),
            levels=LEVELS,
            ylabel="deaths (%)",
            title=f"Death rate among cases with a known outcome{tag(data.source)}",
        ),
        "2B_death_rates",
        f"Death rate by age group and by hosp_yn among rows with death_yn Yes/No{tag(data.source)}",
    )
    results = {
        "rows_after_step": data.rows_after_steps(),
        "steps": data.steps.to_dict(orient="records"),
        "features": data.feature_names,
        "settings": data.settings,
        "synthetic": synthetic,
    }
    headline = (
        f"{data.input_dim} inputs; {data.rows_after_steps()['death_yn Yes/No']:,} rows with "
        f"death_yn Yes/No; train {len(data.y_train):,} / val {len(data.y_val):,} / test "
        f"{len(data.y_test):,}" + (" (synthetic)" if synthetic else "")
    )
    return Section(text_2b(data, {"death_rates": figure}), results, headline)


def _balance_text(data) -> str:
    s = data.settings
    if s["balance"] == "undersample":
        return f"the training split's survivors were undersampled to 1:{s['ratio']:g}"
    if s["balance"] == "weights":
        ratio = data.class_weight[1] / data.class_weight[0]
        return f"the loss weighs each death {ratio:.0f} times as much as each survivor"
    return "nothing was done about the imbalance"


def _dates_text(how: str) -> str:
    if how == "drop":
        return "dropped (use `--dates numeric` to keep them as day numbers)."
    return (
        "each turned into days since 1 January 2020; a blank date is filled with the "
        "training mean by the scaler."
    )


def _encoding_text(how: str) -> str:
    order = (
        "age group is ordered, so it is coded 0 (0-9 years) to 8 (80+) under either "
        "encoding, with Missing left to the scaler"
    )
    if how == "factorize":
        return (
            "factorized with a fixed level order (`_yn` columns: No < Unknown < Missing < "
            f"Yes, so the codes grow with the chance of a Yes); {order}. A linear net "
            "reads a code as an amount, which suits ordered levels and not the others "
            "(race, sex): that is the price of factorizing."
        )
    return (
        "one-hot: a 0/1 column per level, Unknown and Missing merged, the first level "
        f"as the all-zero reference; race is left out to stay within 12 inputs; {order}."
    )
