"""4D: pooling against missing pixels and shifts, and augmentation against pooling.

Made-up results on each side of every verdict: the verdict fields must flip, and the text
must print the numbers that chose them.
"""

import numpy as np
import pandas as pd
import pytest

from chapters.ch4_cnn.p4d_noise import (
    FEATURE_CHANGES,
    MODELS,
    NoiseResult,
    augmentation_tables,
    augmentation_verdict,
    noise_headline,
    noise_models,
    noise_tables,
    pooling_and_noise,
    robustness_verdict,
    text_4d,
)
from companion import load_mnist
from companion.augment import perturbations
from companion.seed import derive_seed, set_seed
from companion.stats import Difference
from companion.training import one_hot

NAMES = list(perturbations(np.zeros((1, 28, 28, 1)), seed=0))


def noise_result(advantage: float, half_width: float, *, pooled_smaller: bool, augmentation=None):
    """A 4D result with the same pooling advantage and interval for every perturbation."""
    rows = []
    for name in NAMES:
        before, after = (0.0, 0.0) if name == "clean" else (0.3, 0.2 if pooled_smaller else 0.4)
        row = {
            "perturbation": name,
            "feature change, no pooling": before,
            "feature change, after max pooling": after,
            "accuracy, pooling model": 0.98 if name == "clean" else 0.95,
            "accuracy, strided model": 0.98 if name == "clean" else 0.95 - advantage,
        }
        if name != "clean":
            low, high = advantage - half_width, advantage + half_width
            d = Difference(advantage, low, high, 1000)
            seeds = [advantage - 0.001, advantage + 0.001]
            row |= {
                "pooling advantage": advantage,
                "CI low": low,
                "CI high": high,
                "seed min": min(seeds),
                "seed max": max(seeds),
                "verdict": robustness_verdict(d, seeds),
            }
        rows.append(row)
    clean = Difference(0.0, -0.002, 0.002, 1000)
    return NoiseResult(
        pd.DataFrame(rows),
        pd.DataFrame(),
        clean,
        {"pooling": 1, "strided": 1},
        10,
        1000,
        2,
        [0, 1],
        augmentation,
    )


def test_answer_and_text_when_pooling_did_not_help():
    hurt = noise_result(-0.02, 0.005, pooled_smaller=False)
    assert set(hurt.table["verdict"].dropna()) == {"pooling hurts"}
    assert hurt.answer == "not shown"
    text = text_4d(hurt)
    assert "-2.00%" in text and "pooling hurts" in text  # the advantage and its verdict
    noisy = noise_result(0.002, 0.01, pooled_smaller=True)
    assert set(noisy.table["verdict"].dropna()) == {"within noise"}
    assert noisy.answer == "not shown"
    assert "+0.20%" in text_4d(noisy)


def test_answer_and_text_when_pooling_helped():
    r = noise_result(0.02, 0.005, pooled_smaller=True)
    assert set(r.table["verdict"].dropna()) == {"pooling helps"}
    assert r.answer == "shifts and missing pixels"
    text = text_4d(r)
    assert "+2.00%" in text and r.clean.describe() in text
    assert r.clean.verdict == "within noise"  # on clean images the two models tie
    assert "-3.0% with pooling, -5.0% strided (pooling helps, 2 seeds)" in noise_headline(r)


def test_answer_names_the_only_kind_that_helped():
    r = noise_result(0.02, 0.005, pooled_smaller=True)
    shifts = r.table["perturbation"].str.startswith("shift")
    r.table.loc[shifts, "verdict"] = "within noise"
    assert r.answer == "missing pixels only"
    r.table.loc[shifts, "verdict"] = "pooling helps"
    r.table.loc[r.table["perturbation"].str.startswith("drop"), "verdict"] = "pooling hurts"
    assert r.answer == "shifts only"


@pytest.mark.parametrize(
    ("advantage", "low", "high", "seeds", "verdict"),
    [
        (0.02, 0.01, 0.03, [0.01, 0.03], "pooling helps"),
        (0.02, 0.01, 0.03, [-0.01, 0.03], "within noise"),  # one seed disagrees
        (0.02, -0.01, 0.05, [0.01, 0.03], "within noise"),  # the interval holds 0
        (-0.02, -0.03, -0.01, [-0.01, -0.03], "pooling hurts"),
    ],
)
def test_robustness_verdict_needs_interval_and_every_seed(advantage, low, high, seeds, verdict):
    assert robustness_verdict(Difference(advantage, low, high, 100), seeds) == verdict


def test_noise_tables_pair_the_models_image_by_image():
    """Strided loses 20% of images to the shift, pooling loses none: advantage +20 points."""
    n, seeds = 500, [0, 1]
    pooled = np.ones((2, 2, n))  # (seed, perturbation, image): right everywhere
    strided = np.ones((2, 2, n))
    strided[:, 1, : n // 5] = 0.0
    before, after = FEATURE_CHANGES
    changes = [{"clean": {before: 0.0, after: 0.0}, "shift": {before: 0.4, after: 0.3}}] * 2
    table, per_seed = noise_tables(["clean", "shift"], pooled, strided, changes, seeds)
    shifted = table.set_index("perturbation").loc["shift"]
    assert shifted["pooling advantage"] == pytest.approx(0.2)
    assert shifted["CI low"] > 0.15 and shifted["verdict"] == "pooling helps"
    assert shifted["seed min"] == shifted["seed max"] == pytest.approx(0.2)
    assert shifted["accuracy, strided model"] == pytest.approx(0.8)
    assert (shifted[before], shifted[after]) == pytest.approx((0.4, 0.3))
    assert len(per_seed) == 4 and set(per_seed["seed"]) == {0, 1}
    assert np.isnan(table.set_index("perturbation").loc["clean", "pooling advantage"])


# --- augmentation against pooling ---------------------------------------------------------


def four_models(augmented: list[float], pooling: float = 0.8, n: int = 2000) -> dict:
    """Hits of the four models, one seed per entry of `augmented`: on every perturbation the
    strided model trained on shifts gets that share of the images right, pooling `pooling`.

    Right answers are nested (the first images), so the better model adds hits."""
    seeds = len(augmented)

    def hits(share_by_seed: list[float]) -> np.ndarray:
        out = np.zeros((seeds, len(NAMES), n))
        for j, share in enumerate(share_by_seed):
            out[j, :, : round(share * n)] = 1.0
        return out

    return {
        "pooling": hits([pooling] * seeds),
        "strided": hits([pooling - 0.05] * seeds),
        "pooling + shifts": hits([pooling + 0.01] * seeds),
        "strided + shifts": hits(augmented),
    }


@pytest.mark.parametrize(
    ("augmented", "verdict"),
    [
        ([0.85, 0.86, 0.84], "augmentation stronger"),  # every seed 4+ points ahead
        ([0.75, 0.76, 0.74], "augmentation weaker"),  # every seed 4+ points behind
        ([0.80, 0.801, 0.799], "within noise"),  # a tenth of a point, either way
        ([0.85, 0.86, 0.78], "within noise"),  # ahead on average, one seed behind
    ],
)
def test_augmentation_verdict_flips_with_the_numbers(augmented, verdict):
    a = augmentation_tables(NAMES, four_models(augmented), [0, 1, 2], max_shift=1)
    assert a.verdict == verdict
    assert a.versus_pooling_seeds == pytest.approx([x - 0.8 for x in augmented])
    assert a.versus_pooling.mean == pytest.approx(np.mean(augmented) - 0.8)
    assert a.on_pooling.mean == pytest.approx(0.01)
    assert a.on_pooling_verdict == "augmentation stronger"  # nested hits: every seed +1 point
    assert a.shifts == [name for name in NAMES if name.startswith("shift")]
    table = a.table.set_index("model")
    assert table.loc["strided + shifts", "all shifted copies"] == pytest.approx(np.mean(augmented))
    assert len(a.per_seed) == 4 * 3


def test_augmentation_text_prints_what_chose_the_verdict():
    a = augmentation_tables(NAMES, four_models([0.85, 0.86, 0.84]), [0, 1, 2], max_shift=1)
    r = noise_result(0.02, 0.005, pooled_smaller=True, augmentation=a)
    text = text_4d(r)
    assert a.versus_pooling.describe() in text and a.on_pooling.describe() in text
    assert "+4.00% to +6.00%" in text  # augmentation minus pooling, over the seeds
    assert a.verdict in noise_headline(r) and "+5.0%" in noise_headline(r)
    lost = a.table.set_index("model")["lost to shifts"]
    assert lost["strided + shifts"] == pytest.approx(0.0)  # made up: alike on every copy
    split = augmentation_tables(NAMES, four_models([0.85, 0.86, 0.78]), [0, 1, 2], max_shift=1)
    assert split.verdict == "within noise" and not split.versus_pooling.within_noise
    assert "2 of 3 above 0" in text_4d(  # the seeds, not the interval, left it within noise
        noise_result(0.02, 0.005, pooled_smaller=True, augmentation=split)
    )
    behind = augmentation_tables(NAMES, four_models([0.75, 0.76, 0.74]), [0, 1, 2], max_shift=1)
    assert behind.verdict == "augmentation weaker"
    assert behind.versus_pooling.describe() in text_4d(
        noise_result(0.02, 0.005, pooled_smaller=True, augmentation=behind)
    )


def test_augmentation_verdict_needs_interval_and_every_seed():
    ahead = Difference(0.02, 0.01, 0.03, 100)
    assert augmentation_verdict(ahead, [0.01, 0.03]) == "augmentation stronger"
    assert augmentation_verdict(ahead, [-0.01, 0.03]) == "within noise"
    behind = Difference(-0.02, -0.03, -0.01, 100)
    assert augmentation_verdict(behind, [-0.01, -0.03]) == "augmentation weaker"


def test_augmentation_needs_shifted_images():
    hits = {k: v[:, :3] for k, v in four_models([0.85]).items()}  # clean and the two drops
    with pytest.raises(ValueError, match="shifted test images"):
        augmentation_tables(NAMES[:3], hits, [0], max_shift=1)


def test_augmentation_needs_a_shift_of_a_pixel_or_more():
    with pytest.raises(ValueError, match="max_shift must be 1 or more"):
        pooling_and_noise(None, max_shift=0)


# --- models trained by the caller (a notebook's cells) ---------------------------------------

SMALL = {"train_images": 64, "test_images": 96, "probe_images": 16, "epochs": 1}


def notebook_trained(data, seed: int, epochs: int = 1) -> tuple:
    """4D's pair built after set_seed(seed) and fitted as the notebook's cells do."""
    set_seed(seed)
    models = noise_models()
    x, y = data.x_train[: SMALL["train_images"]], one_hot(data.y_train[: SMALL["train_images"]])
    for model in models:
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)
    return models


def test_trained_models_are_scored_not_retrained_and_shifts_start_alike():
    data = load_mnist(sample=True)
    seeds = [11, 12]
    pooled, strided = notebook_trained(data, seeds[0])
    weights = [w.copy() for w in pooled.get_weights()]
    given = pooling_and_noise(data, **SMALL, seeds=seeds, seed=5, trained=(pooled, strided))
    own = pooling_and_noise(data, **SMALL, seeds=seeds, seed=5)
    assert all(np.array_equal(a, b) for a, b in zip(weights, pooled.get_weights()))
    x_test, y_test = data.x_test[:96], one_hot(data.y_test[:96])
    first = given.per_seed[(given.per_seed["seed"] == seeds[0])].set_index("perturbation")
    for kind, model in zip(("pooling", "strided"), (pooled, strided)):
        accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
        assert first.loc["clean", f"accuracy, {kind} model"] == pytest.approx(accuracy)
    # the augmented models start from the same weights and shifts either way; the second
    # seed is trained by the chapter in both runs
    a, b = (r.augmentation.per_seed.set_index(["seed", "model"]) for r in (given, own))
    for kind in MODELS[2:]:
        assert a.loc[(seeds[0], kind)].tolist() == pytest.approx(b.loc[(seeds[0], kind)].tolist())
    for kind in MODELS:
        assert a.loc[(seeds[1], kind)].tolist() == pytest.approx(b.loc[(seeds[1], kind)].tolist())


def test_trained_models_must_match_the_settings_the_reading_names():
    data = load_mnist(sample=True)
    twice = notebook_trained(data, 11, epochs=2)
    with pytest.raises(ValueError, match="ran 4 batches, but train_images and epochs make 2"):
        pooling_and_noise(data, **SMALL, seeds=[11], trained=twice)
    with pytest.raises(ValueError, match="pooling model ran 0 batches"):
        pooling_and_noise(data, **SMALL, seeds=[11], trained=noise_models())
    with pytest.raises(ValueError, match="the .pooling, strided. pair, got 1"):
        pooling_and_noise(data, **SMALL, seeds=[11], trained=twice[:1])


# --- end to end, --quick --------------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_4d(ch4_quick_4d):
    """4D alone, --quick --seed 3 (conftest: made once per session, shared read-only)."""
    out, summary = ch4_quick_4d
    return out, summary["problems"]["4D"]


def test_quick_run_measures_pooling(quick_4d):
    _, d = quick_4d
    table = {row["perturbation"]: row for row in d["table"]}
    clean, dropped = table["clean"], table["drop 5% of pixels"]
    assert clean["accuracy, pooling model"] > 0.8
    assert dropped["feature change, after max pooling"] < dropped["feature change, no pooling"]
    for name, row in table.items():
        if name != "clean":
            assert row["CI low"] <= row["pooling advantage"] <= row["CI high"]
            assert row["verdict"] in {"pooling helps", "within noise", "pooling hurts"}
    # --quick: one training seed, from the base seed through the problem's own part name
    assert d["seeds"] == [derive_seed(3, "4D:models-0")]


def test_quick_run_compares_augmentation_with_pooling(quick_4d):
    out, d = quick_4d
    a = d["augmentation"]
    assert a["max_shift"] == 1 and len(a["shifts"]) == 4
    models = {row["model"]: row for row in a["table"]}
    assert set(models) == {"pooling", "strided", "pooling + shifts", "strided + shifts"}
    # the plain models are 4D's own: the same accuracies as the pooling table
    table = {row["perturbation"]: row for row in d["table"]}
    assert models["pooling"]["clean"] == pytest.approx(table["clean"]["accuracy, pooling model"])
    assert models["strided"]["shift 2 px right"] == pytest.approx(
        table["shift 2 px right"]["accuracy, strided model"]
    )
    versus = a["versus_pooling"]
    gap = models["strided + shifts"]["all shifted copies"] - models["pooling"]["all shifted copies"]
    assert versus["mean"] == pytest.approx(gap) and versus["per_seed"] == [pytest.approx(gap)]
    assert versus["low"] <= versus["mean"] <= versus["high"]
    verdict = augmentation_verdict(
        Difference(**{k: versus[k] for k in ("mean", "low", "high", "n")}), versus["per_seed"]
    )
    assert a["verdict"] == verdict
    assert len(a["per_seed"]) == 4  # four models, one seed
    assert (out / "histories" / "4D_augmentation.csv").is_file()
    report = (out / "report.md").read_text()
    assert f"{versus['mean']:+.2%}" in report
