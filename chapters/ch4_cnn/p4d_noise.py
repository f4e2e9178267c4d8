"""4D: does pooling make a CNN robust to missing pixels and small shifts? Measured over seeds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from keras import layers

from companion import pset
from companion.augment import perturbations, shifted_batches
from companion.run.markdown import markdown_table
from companion.run.runner import Context, Section
from companion.seed import set_seed
from companion.stats import Difference, paired_difference
from companion.training import correct_predictions, fit_callbacks, one_hot, steps_per_run
from companion.words import count, join


def noise_models():
    """Two small CNNs alike but for downsampling: max pooling vs a stride-2 convolution."""

    def build(pool: bool):
        stride = 1 if pool else 2
        stack = [keras.Input((28, 28, 1))]
        for width in (16, 32):
            stack += [layers.Conv2D(width, 3, padding="same", strides=stride), layers.ReLU()]
            if pool:
                stack.append(layers.MaxPooling2D(2))
        stack += [layers.Flatten(), layers.Dense(10), layers.Softmax()]
        return keras.Sequential(stack, name="with_pooling" if pool else "strided_no_pooling")

    return build(True), build(False)


@dataclass
class NoiseResult:
    """4D: feature changes and accuracies under perturbation, over several training seeds.

    `table` has one row per perturbation; "pooling advantage" is the strided model's
    accuracy loss minus the pooling model's (positive: pooling lost less), image by image
    and averaged over the seeds, with its 95% interval and verdict. `per_seed` has the
    accuracies of every seed; `clean` compares the two models on clean images.
    """

    table: pd.DataFrame
    per_seed: pd.DataFrame
    clean: Difference
    params: dict[str, int]
    train_images: int
    test_images: int
    epochs: int
    seeds: list[int]
    augmentation: AugmentationResult | None = None

    @property
    def answer(self) -> str:
        """Where pooling helped beyond noise (`pooling_answer` of the table)."""
        return pooling_answer(self.table)


@dataclass
class AugmentationResult:
    """4D's second measure: random-shift augmentation against pooling, on shifted test images.

    `table` has one row per model (the pooling and the strided model, each trained plain
    and on randomly shifted images): accuracy on clean images, on each shifted copy and on
    all shifted copies together, means over the seeds. `per_seed` has each seed's clean and
    shifted accuracy per model. `versus_pooling` is augmentation alone (the strided model
    trained on shifts) minus pooling alone (the pooling model trained plain), image by image
    on the shifted copies; `on_pooling` is the pooling model with augmentation minus without.
    Each `*_seeds` list holds that difference seed by seed.
    """

    table: pd.DataFrame
    per_seed: pd.DataFrame
    versus_pooling: Difference
    versus_pooling_seeds: list[float]
    on_pooling: Difference
    on_pooling_seeds: list[float]
    max_shift: int
    shifts: list[str]

    @property
    def verdict(self) -> str:
        """'augmentation stronger', 'augmentation weaker' or 'within noise' (against pooling)."""
        return augmentation_verdict(self.versus_pooling, self.versus_pooling_seeds)

    @property
    def on_pooling_verdict(self) -> str:
        """The same words for augmentation added to the pooling model (against it plain)."""
        return augmentation_verdict(self.on_pooling, self.on_pooling_seeds)


# The four models of the augmentation comparison: 4D's two, then each trained on shifts
KINDS = ("pooling", "strided")  # noise_models()'s order
MODELS = [*KINDS, "pooling + shifts", "strided + shifts"]
SHIFTED, LOST = "all shifted copies", "lost to shifts"


# 4D's table: what each perturbation did to the features and to each model's accuracy
FEATURE_CHANGES = ["feature change, no pooling", "feature change, after max pooling"]
MEASURES = [
    "perturbation",
    *FEATURE_CHANGES,
    "accuracy, pooling model",
    "accuracy, strided model",
]


def _agreed(difference: Difference, per_seed: Sequence[float]) -> int:
    """+1 or -1 when the interval excludes 0 and every seed has the same sign; else 0."""
    if difference.low > 0 and min(per_seed) > 0:
        return 1
    if difference.high < 0 and max(per_seed) < 0:
        return -1
    return 0


def robustness_verdict(difference: Difference, per_seed: Sequence[float]) -> str:
    """'pooling helps', 'pooling hurts' or 'within noise': the interval and every seed agree."""
    words = {1: "pooling helps", -1: "pooling hurts", 0: "within noise"}
    return words[_agreed(difference, per_seed)]


def augmentation_verdict(difference: Difference, per_seed: Sequence[float]) -> str:
    """'augmentation stronger', 'augmentation weaker' or 'within noise', by the same rule."""
    words = {1: "augmentation stronger", -1: "augmentation weaker", 0: "within noise"}
    return words[_agreed(difference, per_seed)]


def feature_changes(
    conv, perturbed: dict[str, np.ndarray], probe: int
) -> dict[str, dict[str, float]]:
    """Per perturbation, the relative change of a conv layer's ReLU output, as read directly
    ("feature change, no pooling") and after 2×2 max pooling ("…, after max pooling")."""
    relu_pool = keras.Sequential([layers.ReLU(), layers.MaxPooling2D(2)])
    clean = perturbed["clean"][:probe]
    base, base_pooled = np.maximum(np.asarray(conv(clean)), 0), np.asarray(relu_pool(conv(clean)))
    out = {}
    for name, xp in perturbed.items():
        raw = np.asarray(conv(xp[:probe]))
        out[name] = {
            "feature change, no pooling": _relative_change(np.maximum(raw, 0), base),
            "feature change, after max pooling": _relative_change(
                np.asarray(relu_pool(raw)), base_pooled
            ),
        }
    return out


def pooling_and_noise(
    data,
    *,
    epochs: int = 2,
    train_images: int = 5_120,
    test_images: int | None = 5_120,
    probe_images: int = 2_000,
    seeds: Sequence[int] = (0, 1, 2),
    seed: int = 0,
    max_shift: int | None = pset.CNN_MAX_SHIFT,
    trained: tuple[keras.Model, keras.Model] | None = None,
) -> NoiseResult:
    """4D: how much perturbations change conv features and accuracy, with and without pooling.

    Both models are trained once per entry of `seeds` (same data, different initial
    weights and order); `seed` draws the missing pixels. Every perturbed test image is
    scored by every model, so the two models are compared image by image
    (`companion.stats.paired_difference`). With `max_shift` (4F's, by default) each seed
    also trains both models, from the same initial weights, on images shifted at random
    by up to that many pixels (`companion.augment.shifted_batches`): the augmentation
    comparison; None leaves it out. `trained` is the (pooling, strided) pair already
    trained for the first seed (a notebook's cells: `noise_models()` built after
    `set_seed(seeds[0])`, fitted `epochs` on the first `train_images`): they are scored
    instead of trained again, and that seed's augmented models start from clones built
    under the same seed, the same initial weights.
    """
    if max_shift is not None and max_shift < 1:
        raise ValueError(f"max_shift must be 1 or more (None: no augmentation), got {max_shift}")
    x, y = data.x_train[:train_images], one_hot(data.y_train[:train_images])
    x_test, y_test = data.x_test[:test_images], data.y_test[:test_images]
    perturbed = perturbations(x_test, seed=seed)
    hits = {kind: [] for kind in MODELS[: 2 if max_shift is None else 4]}
    changes = []

    def score(model) -> np.ndarray:  # (perturbation, image): 1.0 where the model was right
        return np.stack(correct_predictions(model, *[(xp, y_test) for xp in perturbed.values()]))

    if trained is not None:
        _check_trained(trained, steps_per_run(len(x), 32, epochs))
    for index, model_seed in enumerate(seeds):
        given = trained if index == 0 else None
        set_seed(model_seed)  # the initial weights and the order of the training images
        models = dict(zip(KINDS, _fresh(given)))
        starts = {kind: _compile(model) for kind, model in models.items()}
        plain = models if given is None else dict(zip(KINDS, given))
        for kind, model in plain.items():
            if given is None:
                _fit(model, x, y, epochs=epochs, max_shift=0, seed=model_seed)
            hits[kind].append(score(model).astype(float))
        changes.append(feature_changes(plain["pooling"].layers[0], perturbed, probe_images))
        if max_shift is None:
            continue
        set_seed(model_seed)  # the shifts and their order, whatever trained before
        for kind, model in models.items():
            # Back to the same initial weights with a fresh optimizer: one trace serves both.
            _restart(model, *starts[kind])
            _fit(model, x, y, epochs=epochs, max_shift=max_shift, seed=model_seed)
            hits[f"{kind} + shifts"].append(score(model).astype(float))
    stacked = {kind: np.stack(h) for kind, h in hits.items()}
    pooled, strided = stacked["pooling"], stacked["strided"]
    table, per_seed = noise_tables(list(perturbed), pooled, strided, changes, seeds)
    augmentation = None
    if max_shift is not None:
        augmentation = augmentation_tables(list(perturbed), stacked, seeds, max_shift)
    return NoiseResult(
        table=table,
        per_seed=per_seed,
        clean=paired_difference(pooled[:, 0].mean(axis=0), strided[:, 0].mean(axis=0)),
        params={kind: model.count_params() for kind, model in models.items()},
        train_images=len(x),
        test_images=len(x_test),
        epochs=epochs,
        seeds=list(seeds),
        augmentation=augmentation,
    )


def _fresh(trained: Sequence[keras.Model] | None) -> tuple[keras.Model, keras.Model]:
    """4D's two models with fresh weights: `noise_models()`, or clones of the trained pair."""
    if trained is None:
        return noise_models()
    pooling, strided = (keras.models.clone_model(model) for model in trained)
    return pooling, strided


def _check_trained(trained: Sequence[keras.Model], steps: int) -> None:
    """Refuse a (pooling, strided) pair not trained `steps` batches (the reading says so)."""
    if len(trained) != len(KINDS):
        raise ValueError(f"trained must be the (pooling, strided) pair, got {len(trained)} models")
    for kind, model in zip(KINDS, trained, strict=True):
        optimizer = getattr(model, "optimizer", None)  # absent until compiled
        done = 0 if optimizer is None else int(optimizer.iterations)
        if done != steps:
            raise ValueError(
                f"the trained {kind} model ran {done} batches, but train_images and epochs "
                f"make {steps} (batches of 32): pass the settings it was trained with"
            )


def _compile(model) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Compile one 4D model; return its initial weights and optimizer state, for `_restart`."""
    model.compile(
        optimizer="adam",
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=16,  # 16 batches per compiled call: fewer round trips
    )
    model.optimizer.build(model.trainable_variables)
    return model.get_weights(), [np.array(v) for v in model.optimizer.variables]


def _restart(model, weights: list[np.ndarray], optimizer: list[np.ndarray]) -> None:
    """Set a compiled model back to the state `_compile` returned (its trace is kept)."""
    model.set_weights(weights)
    for variable, value in zip(model.optimizer.variables, optimizer, strict=True):
        variable.assign(value)


def _fit(model, x, y, *, epochs: int, max_shift: int, seed: int) -> None:
    """Train one compiled 4D model in shuffled batches of 32, shifted when `max_shift` > 0."""
    if max_shift:  # the pipeline shuffles and shifts afresh each epoch itself
        batches = shifted_batches(x, y, batch_size=32, max_shift=max_shift, seed=seed)
        data = {"x": batches, "shuffle": False}
    else:  # 4D's own models, trained as before
        data = {"x": x, "y": y, "batch_size": 32}
    model.fit(**data, epochs=epochs, callbacks=fit_callbacks(), verbose=0)


def augmentation_tables(
    names: list[str], hits: Mapping[str, np.ndarray], seeds: Sequence[int], max_shift: int
) -> AugmentationResult:
    """The augmentation comparison from the four models' hits on the perturbed test images.

    `hits[model]` holds 1.0 where the model got an image right, shaped (seed, perturbation,
    image) in the order of `names` ("clean" first); the shifted copies are the names
    starting with "shift". Differences pair the images, each averaged over the seeds and
    the shifted copies (`paired_difference`); the seed lists hold each seed's difference.
    """
    shifts = [i for i, name in enumerate(names) if name.startswith("shift")]
    if not shifts:
        raise ValueError("the augmentation comparison needs shifted test images ('shift …')")
    on_shifts = {k: h[:, shifts].mean(axis=1) for k, h in hits.items()}  # (seed, image)
    rows, per_seed = [], []
    for kind, h in hits.items():
        accuracy = h.mean(axis=2)  # (seed, perturbation)
        row = {"model": kind, "clean": float(accuracy[:, 0].mean())}
        row |= {names[i]: float(accuracy[:, i].mean()) for i in shifts}
        shifted = float(on_shifts[kind].mean())
        rows.append(row | {SHIFTED: shifted, LOST: row["clean"] - shifted})
        per_seed += [
            {
                "seed": seed,
                "model": kind,
                "clean": float(accuracy[j, 0]),
                SHIFTED: float(on_shifts[kind][j].mean()),
            }
            for j, seed in enumerate(seeds)
        ]

    def versus(a: str, b: str) -> tuple[Difference, list[float]]:
        by_seed = on_shifts[a].mean(axis=1) - on_shifts[b].mean(axis=1)
        d = paired_difference(on_shifts[a].mean(axis=0), on_shifts[b].mean(axis=0))
        return d, [float(v) for v in by_seed]

    return AugmentationResult(
        pd.DataFrame(rows),
        pd.DataFrame(per_seed),
        *versus("strided + shifts", "pooling"),
        *versus("pooling + shifts", "pooling"),
        max_shift=max_shift,
        shifts=[names[i] for i in shifts],
    )


def noise_tables(
    names: list[str],
    pooled: np.ndarray,
    strided: np.ndarray,
    changes: list[dict[str, dict[str, float]]],
    seeds: Sequence[int],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """4D's table (means over seeds, pooling's advantage, verdict) and its per-seed table.

    `pooled` and `strided` hold 1.0 where a model got an image right, shaped (seed,
    perturbation, image) with "clean" first; `changes` are per-seed `feature_changes`.
    """
    accuracy_p, accuracy_s = pooled.mean(axis=2), strided.mean(axis=2)  # (seed, perturbation)
    # Per image: the accuracy a perturbation cost, averaged over seeds.
    loss_p = (pooled[:, :1] - pooled).mean(axis=0)
    loss_s = (strided[:, :1] - strided).mean(axis=0)
    advantage_by_seed = (accuracy_s[:, :1] - accuracy_s) - (accuracy_p[:, :1] - accuracy_p)
    rows, per_seed = [], []
    for i, name in enumerate(names):
        row = {
            "perturbation": name,
            **{key: float(np.mean([c[name][key] for c in changes])) for key in FEATURE_CHANGES},
            "accuracy, pooling model": float(accuracy_p[:, i].mean()),
            "accuracy, strided model": float(accuracy_s[:, i].mean()),
        }
        if i > 0:
            d = paired_difference(loss_s[i], loss_p[i])
            row |= {
                "pooling advantage": d.mean,
                "CI low": d.low,
                "CI high": d.high,
                "seed min": float(advantage_by_seed[:, i].min()),
                "seed max": float(advantage_by_seed[:, i].max()),
                "verdict": robustness_verdict(d, advantage_by_seed[:, i]),
            }
        rows.append(row)
        per_seed += [
            {
                "seed": seed,
                "perturbation": name,
                "accuracy, pooling model": float(accuracy_p[j, i]),
                "accuracy, strided model": float(accuracy_s[j, i]),
            }
            for j, seed in enumerate(seeds)
        ]
    return pd.DataFrame(rows), pd.DataFrame(per_seed)


def _relative_change(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over images of ‖a − b‖ / ‖b‖."""
    change = np.linalg.norm((a - b).reshape(len(a), -1), axis=1)
    size = np.linalg.norm(b.reshape(len(b), -1), axis=1)
    return float(np.mean(change / (size + 1e-12)))


def plot_pooling_noise(r: NoiseResult, *, axes=None):
    """Feature change, accuracy, and pooling's advantage with its interval, per perturbation."""
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(17, 4.4))
    t = r.table.set_index("perturbation")
    t[FEATURE_CHANGES].plot.barh(ax=axes[0])
    axes[0].set(title="relative change of conv features", xlabel="‖f(x') − f(x)‖ / ‖f(x)‖")
    accuracy = t[["accuracy, pooling model", "accuracy, strided model"]]
    accuracy.plot.barh(ax=axes[1])
    axes[1].set(
        title=f"test accuracy (mean of {len(r.seeds)} seeds)",
        xlim=(max(0, accuracy.min().min() - 0.05), 1),
    )
    shifted = t.dropna(subset=["pooling advantage"])
    errors = [
        shifted["pooling advantage"] - shifted["CI low"],
        shifted["CI high"] - shifted["pooling advantage"],
    ]
    axes[2].barh(shifted.index, shifted["pooling advantage"], xerr=errors, color="tab:green")
    axes[2].scatter(shifted["seed min"], shifted.index, marker="|", color="k", label="seed range")
    axes[2].scatter(shifted["seed max"], shifted.index, marker="|", color="k")
    axes[2].axvline(0, color="k", lw=0.8)
    axes[2].set(
        title="pooling's advantage (95% CI)", xlabel="strided model's loss − pooling model's"
    )
    axes[2].legend(fontsize=8)
    for ax in axes:
        ax.invert_yaxis()
    for ax in axes[:2]:
        ax.legend(fontsize=8)
    axes[0].figure.tight_layout()
    return axes[0].figure


def noise_headline(r: NoiseResult) -> str:
    """One line: the 10%-missing-pixels losses and the verdict."""
    t = r.table.set_index("perturbation")
    clean, dropped = t.loc["clean"], t.loc["drop 10% of pixels"]
    pooled = dropped["accuracy, pooling model"] - clean["accuracy, pooling model"]
    strided = dropped["accuracy, strided model"] - clean["accuracy, strided model"]
    line = (
        f"10% missing pixels: accuracy {pooled:+.1%} with pooling, {strided:+.1%} strided "
        f"({dropped['verdict']}, {count(len(r.seeds), 'seed')})"
    )
    if r.augmentation is not None:
        a = r.augmentation
        line += (
            f"; shifted images, augmentation − pooling: {a.versus_pooling.mean:+.1%} ({a.verdict})"
        )
    return line


def text_4d(r: NoiseResult, figures: Mapping[str, str] | None = None) -> str:
    """4D's report section; each comparison is chosen by the measured differences."""
    t = r.table.set_index("perturbation")
    clean = t.loc["clean"]

    def change(name: str, model: str) -> float:
        return t.loc[name, f"accuracy, {model} model"] - clean[f"accuracy, {model} model"]

    perturbed = t.drop(index="clean")
    smaller = [n for n, row in perturbed.iterrows() if _pooled_smaller(row)]
    if len(smaller) == len(perturbed):
        features = "For every perturbation the change is smaller after pooling than before it."
    elif smaller:
        others = [n for n in perturbed.index if n not in smaller]
        features = (
            f"The change is smaller after pooling for {join(smaller)}, but not for {join(others)}."
        )
    else:
        features = "For no perturbation is the change smaller after pooling than before it."
    f5, f1 = t.loc["drop 5% of pixels"], t.loc["shift 1 px right"]
    advantage = pd.DataFrame(
        {
            "perturbation": perturbed.index,
            "pooling advantage": perturbed["pooling advantage"].map("{:+.2%}".format),
            "95% CI": [f"{a:+.2%} to {b:+.2%}" for a, b in perturbed[["CI low", "CI high"]].values],
            "over seeds": [
                f"{a:+.2%} to {b:+.2%}" for a, b in perturbed[["seed min", "seed max"]].values
            ],
            "verdict": perturbed["verdict"],
        }
    )
    figure = (figures or {}).get("pooling_noise", "")
    n_seeds = len(r.seeds)
    return f"""
We perturb the test images the way the set describes (missing pixels; the object moved by a
pixel or two) and measure (i) how much the first conv layer's output changes, read directly and
after a 2×2 max-pooling layer, and (ii) how much accuracy two trained models lose: one that
downsamples with max pooling and one alike in every other way that downsamples with stride-2
convolutions ({r.params["pooling"]:,} and {r.params["strided"]:,} parameters; {r.train_images:,}
training images, {r.epochs} epochs each, trained with {count(n_seeds, "seed")}: {", ".join(map(str, r.seeds))}).
Accuracies are means over the seeds, on {r.test_images:,} test images.

{figure}
{markdown_table(r.table[MEASURES])}
**Features.** Dropping 5% of the pixels changes the conv output by
{f5["feature change, no pooling"]:.1%} before pooling and {f5["feature change, after max pooling"]:.1%}
after it; a one-pixel shift changes it by {f1["feature change, no pooling"]:.1%} and
{f1["feature change, after max pooling"]:.1%}. {features}{_why(bool(smaller))}

**Accuracy.** On clean images the pooling model scores {clean["accuracy, pooling model"]:.4f} and
the strided one {clean["accuracy, strided model"]:.4f} (pooling − strided:
{r.clean.describe()}, {_clean_words(r.clean)}). Dropping 10% of the pixels changes accuracy by
{change("drop 10% of pixels", "pooling"):+.1%} for the pooling model and
{change("drop 10% of pixels", "strided"):+.1%} for the strided one; a two-pixel shift by
{change("shift 2 px right", "pooling"):+.1%} and {change("shift 2 px right", "strided"):+.1%}. Pooling's
advantage below is the strided model's loss minus the pooling model's, image by image (positive:
pooling lost less), with its 95% confidence interval over the test images and its range over the
{count(n_seeds, "seed")}; it counts only when the interval excludes 0 and every seed agrees:

{markdown_table(advantage)}
{_noise_conclusion(r.table)}
{augmentation_text(r)}"""


def _why(pooled_smaller: bool) -> str:
    if not pooled_smaller:
        return ""
    return (
        " Why it can: max pooling keeps only the largest response in each window, so a missing "
        "pixel that was not the maximum, or a feature that moved within its window, leaves the "
        "pooled output as it was."
    )


def _pooled_smaller(row) -> bool:
    return row["feature change, after max pooling"] < row["feature change, no pooling"]


def _clean_words(d: Difference) -> str:
    if d.within_noise:
        return "within noise"
    return "the pooling model is better" if d.mean > 0 else "the strided model is better"


def pooling_answer(table: pd.DataFrame) -> str:
    """Where pooling helped beyond noise: 'shifts and missing pixels', 'shifts only',
    'missing pixels only' or 'not shown' (read off the table's per-perturbation verdicts)."""
    helps = table.loc[table["verdict"] == "pooling helps", "perturbation"]
    shifts, drops = helps.str.startswith("shift").any(), helps.str.startswith("drop").any()
    if shifts and drops:
        return "shifts and missing pixels"
    if shifts or drops:
        return "shifts only" if shifts else "missing pixels only"
    return "not shown"


def _noise_conclusion(table: pd.DataFrame) -> str:
    perturbed = table.set_index("perturbation").drop(index="clean")
    by_verdict = {
        v: list(perturbed.index[perturbed["verdict"] == v])
        for v in ("pooling helps", "within noise", "pooling hurts")
    }
    lines = []
    if by_verdict["pooling helps"]:
        lines.append(
            f"In this run pooling made the model measurably more robust to "
            f"{join(by_verdict['pooling helps'])}."
        )
    if by_verdict["within noise"]:
        lines.append(
            f"For {join(by_verdict['within noise'])} the difference is within noise (the "
            "interval includes 0, or the seeds disagree)."
        )
    if by_verdict["pooling hurts"]:
        lines.append(
            f"For {join(by_verdict['pooling hurts'])} the pooling model lost MORE than the "
            "strided one."
        )
    answer = {
        "shifts and missing pixels": (
            "So pooling does help with the set's case (animals at various positions, a few "
            "missing pixels), measurably here"
        ),
        "shifts only": (
            "So in this run pooling helps with small shifts only; for the rest of the set's "
            "case the measured difference does not support a claim"
        ),
        "missing pixels only": (
            "So in this run pooling helps with missing pixels only; for the rest of the set's "
            "case the measured difference does not support a claim"
        ),
        "not shown": (
            "So this run does NOT show that pooling helps with the set's case (animals at "
            "various positions, a few missing pixels)"
        ),
    }[pooling_answer(table)]
    return " ".join(lines) + "\n\n" + answer + ".\n"


# What each verdict of the augmentation comparison says, against pooling alone and added to it
_VERSUS_POOLING = {
    "augmentation stronger": "augmentation was the stronger tool against shifts here",
    "augmentation weaker": "pooling was the stronger tool against shifts here",
    "within noise": "the two are within noise of each other here",
}
_ON_POOLING = {
    "augmentation stronger": "augmentation raised the pooling model's accuracy on shifted images",
    "augmentation weaker": "augmentation lowered the pooling model's accuracy on shifted images",
    "within noise": "augmentation added nothing measurable to the pooling model",
}


def augmentation_text(r: NoiseResult) -> str:
    """4D's augmentation comparison: the four models on shifted images, and the verdicts."""
    a = r.augmentation
    if a is None:
        return ""
    n = len(r.seeds)
    table = a.table.rename(columns={"model": "model (training)"})
    versus, on = a.versus_pooling, a.on_pooling
    quick = (
        " With one seed the seed check is that one seed's word: a quick run, not a verdict "
        "over seeds."
        if n == 1
        else ""
    )
    return f"""
**Augmentation against pooling.** Does training on shifted images beat pooling against
shifts? Each seed also trains both models, from the same initial weights, on images moved at
random by up to {a.max_shift} pixel(s) each way, drawn afresh every epoch (4F's augmentation,
`companion.augment.shifted_batches`), with the same data and epochs. Accuracy (means over
{count(n, "seed")}) on clean images and on the shifted copies above ({join(a.shifts)}):

{markdown_table(table)}
("{LOST}": clean minus {SHIFTED}.) Augmentation alone (the strided model trained on shifts)
minus pooling alone (the pooling model trained plain), on the shifted copies:
{versus.describe()}, per seed {_seed_range(a.versus_pooling_seeds)}:
{_VERSUS_POOLING[a.verdict]}{_why_noise(versus, a.versus_pooling_seeds)}. Added to the pooling
model, augmentation changed its accuracy on the shifted copies by {on.describe()}, per seed
{_seed_range(a.on_pooling_seeds)}: {_ON_POOLING[a.on_pooling_verdict]}{_why_noise(on, a.on_pooling_seeds)}.
Each counts only when the interval excludes 0 and every seed agrees.{quick}
"""


def _why_noise(d: Difference, per_seed: Sequence[float]) -> str:
    """Why a difference is within noise: its interval holds 0, or the seeds disagree."""
    if _agreed(d, per_seed):
        return ""
    if d.within_noise:
        return " (the interval includes 0)"
    above = sum(v > 0 for v in per_seed)
    return f" (the interval excludes 0, but the seeds disagree: {above} of {len(per_seed)} above 0)"


def _seed_range(values: Sequence[float]) -> str:
    low, high = min(values), max(values)
    return f"{low:+.2%}" if low == high else f"{low:+.2%} to {high:+.2%}"


def augmentation_results(a: AugmentationResult) -> dict:
    """4D's summary.json entry for the augmentation comparison."""
    return {
        "max_shift": a.max_shift,
        "shifts": a.shifts,
        "table": a.table.to_dict(orient="records"),
        "per_seed": a.per_seed.to_dict(orient="records"),
        "versus_pooling": asdict(a.versus_pooling) | {"per_seed": a.versus_pooling_seeds},
        "on_pooling": asdict(a.on_pooling) | {"per_seed": a.on_pooling_seeds},
        "verdict": a.verdict,
        "on_pooling_verdict": a.on_pooling_verdict,
    }


def run_4d(ctx: Context) -> Section:
    """4D: train both models over several seeds; report features, accuracies and the verdict."""
    data = ctx.mnist()
    # Subsets here and in 4E/4F are multiples of 512 = 32 × 16: whole batches and whole
    # 16-step executions, so TensorFlow never retraces for a short last batch.
    r = pooling_and_noise(
        data,
        epochs=ctx.epochs(2),
        train_images=2_048 if ctx.quick else 5_120,
        test_images=None if ctx.quick else 5_120,
        probe_images=1_000 if ctx.quick else 2_000,
        seeds=[ctx.seed_for(f"models-{i}") for i in range(1 if ctx.quick else 3)],
        seed=ctx.seed_for("missing-pixels"),
    )
    ctx.folder.save_table(r.table, "4D_pooling_noise")
    ctx.folder.save_table(r.per_seed, "4D_pooling_noise_seeds")
    ctx.folder.save_table(r.augmentation.table, "4D_augmentation")
    ctx.folder.save_table(r.augmentation.per_seed, "4D_augmentation_seeds")
    figure = ctx.folder.figure_md(
        plot_pooling_noise(r), "4D_pooling_noise", "Pooling against missing pixels and shifts"
    )
    results = {
        "table": r.table.to_dict(orient="records"),
        "per_seed": r.per_seed.to_dict(orient="records"),
        "clean_difference": asdict(r.clean),
        "params": r.params,
        "train_images": r.train_images,
        "epochs": r.epochs,
        "seeds": r.seeds,
        "augmentation": augmentation_results(r.augmentation),
        "answer": r.answer,
    }
    return Section(text_4d(r, {"pooling_noise": figure}), results, noise_headline(r))
