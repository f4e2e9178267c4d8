"""Chapter 4F: the CNN, its sweep beside the staff's, the regularisers and final model over seeds.

A --quick run of 4F alone checks the summary and the saved model; results made by hand put
each reading on both sides of its verdict (regularisers separated or within noise, every
final seed above the set's bar or one below, the rate chosen by the sweep or set by you,
the subset or the CNN behind the drop), and the verdict fields must follow.
"""

from functools import partial

import keras
import numpy as np
import pandas as pd
import pytest
from model_match import assert_same_layers

from chapters import ch4_cnn
from chapters.ch4_cnn.p4f_cnn import (
    SubsetProbe,
    final_over_seeds,
    final_text,
    parting_rate,
    probe_text,
    rate_text,
    staff_comparison,
    sweep_text,
)
from chapters.ch4_cnn.regularizers import RegularizerResult, regularized_cnn
from companion import pset
from companion.augment import shifted_batches
from companion.data.mnist import load_mnist
from companion.errors import RuleError
from companion.models import CNN_RULES, check_model, cnn
from companion.seed import derive_seed, set_seed
from companion.stats import Spread, proportion_difference, seed_verdict
from companion.sweep import choose_rate
from companion.training import accuracies, correct_predictions, one_hot, steps_per_run

# --- a --quick run of 4F alone -----------------------------------------------------------

OLD_KEYS = {
    "batch_size", "best_regularizer", "best_val_rate", "dropout_rate", "dropout_sweep", "epochs",
    "final_val_accuracy", "meets_our_bar", "meets_set_bar", "model_file", "params",
    "regularizer_epochs", "regularizer_images", "regularizers", "seconds", "seconds_per_epoch",
    "sweep_images", "test_accuracy",
}  # fmt: skip


@pytest.fixture(scope="module")
def quick_4f(ch4_quick):
    """4F of the chapter's --quick --seed 3 run (conftest: one run shared with test_ch4.py).

    4F's seeds come from the base seed and the problem id only, so it is the run of 4F alone.
    """
    out, summary = ch4_quick
    return out, summary["problems"]["4F"]


def test_quick_summary_keeps_its_keys_and_adds_the_seeds(quick_4f):
    _, f = quick_4f
    assert set(f) >= OLD_KEYS  # keys earlier releases wrote are all still there
    assert f["params"] < 1_000_000 and f["batch_size"] == 32 and f["epochs"] == 2
    assert [row["rate"] for row in f["dropout_sweep"]] == [i / 10 for i in range(10)]
    assert f["sweep_images"] == 1_024  # --quick: a subset of the sample's 6,667
    assert f["staff_sweep_2023"] == list(pset.CNN_STAFF_SWEEP_2023)
    sweep = pd.DataFrame(f["dropout_sweep"])
    assert f["dropout_rate"] == f["sweep_choice"] == choose_rate(sweep, ch4_cnn.SWEEP_TOLERANCE)
    assert f["rate_source"] == "chosen by the sweep"
    assert f["sweep_parting_rate"] == parting_rate(sweep)
    # One seed under --quick: the saved model's score is the only one, the ranking untested.
    assert f["test_accuracy_per_seed"] == [f["test_accuracy"]]
    assert f["final_seeds"] == [derive_seed(3, "4F:final")]
    assert f["test_accuracy_median"] == f["test_accuracy_min"] == f["test_accuracy"]
    assert f["every_seed_meets_set_bar"] == (f["test_accuracy"] >= pset.CNN_SET_BAR)
    assert f["regularizer_seeds"] == 1 and f["regularizer_verdict"] == "untested"
    assert f["regularizer_winner"] is None
    names = [row["name"] for row in f["regularizers"]]
    assert names == list(ch4_cnn.REGULARIZERS)
    top = max(f["regularizers"], key=lambda row: row["val_accuracy"])
    assert f["best_regularizer"] == top["name"]
    for row in f["regularizers"]:
        assert row["val_min"] == row["val_accuracy"] == row["val_max"]  # one seed
        assert 0.1 < row["val_accuracy"] <= 1 and -0.2 < row["gap"] < 0.5
    assert 0.85 < f["test_accuracy"] <= 1.0


def test_quick_probe_starts_where_the_sweep_row_does(quick_4f):
    _, f = quick_4f
    probe = f["subset_probe"]
    row = next(r for r in f["dropout_sweep"] if r["rate"] == pset.CNN_SUBSET_PROBE_RATE)
    assert probe["full_val_accuracy"] == row["val_accuracy"]
    assert probe["full_test_accuracy"] == row["test_accuracy"]
    assert (probe["subset_images"], probe["full_images"]) == (512, 1_024)
    gain = probe["full_val_accuracy"] - probe["subset_val_accuracy"]
    assert probe["gain"] == pytest.approx(gain)
    assert probe["gain_low"] < probe["gain"] < probe["gain_high"]
    assert probe["drop_cause"] in {"the subset", "the subset and the CNN", "the CNN"}


def test_quick_report_shows_the_staff_sweep_and_the_seeds(quick_4f):
    out, f = quick_4f
    report = (out / "report.md").read_text()
    for staff in pset.CNN_STAFF_SWEEP_2023:
        assert f"{staff:.4g}" in report  # the staff's column, rate by rate
    assert f"{f['test_accuracy']:.4f}" in report
    table = pd.read_csv(out / "histories" / "4F_dropout_sweep.csv")
    assert list(table["staff 2023 test"]) == pytest.approx(pset.CNN_STAFF_SWEEP_2023)
    assert (out / "histories" / "4F_final_seeds.csv").is_file()


def test_saved_model_is_the_first_seed_and_obeys_the_sets_rules(quick_4f):
    out, f = quick_4f
    model = keras.models.load_model(out / "4F_cnn.keras")
    check_model(model, CNN_RULES)
    rates = {layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)}
    assert rates == {f["dropout_rate"]}
    data = load_mnist(sample=True)
    (test,) = accuracies(model, (data.x_test, data.y_test))
    one_image = 1 / len(data.y_test) + 1e-9  # float noise may flip a borderline image
    assert test == pytest.approx(f["test_accuracy"], abs=one_image)  # the graded figure, its own


# --- the final model over seeds ----------------------------------------------------------


def test_final_model_depends_on_its_seed_alone():
    """4F's final model seeds itself: what ran before (other draws, models) changes nothing."""
    data = load_mnist(sample=True).subset(train=512, val=256, test=256)

    def final(before_seed: int):
        set_seed(before_seed)
        ch4_cnn.chapter_cnn(0.3)  # a model built before, as the sweep does
        np.random.default_rng(before_seed).random(100)
        model, history = ch4_cnn.final_cnn(data, rate=0.2, out=None, epochs=1, seed=11)
        return history, model.predict(data.x_test, verbose=0)

    (first, p1), (second, p2) = final(1), final(2)
    assert second["loss"].iloc[-1] == pytest.approx(first["loss"].iloc[-1], rel=1e-4)
    np.testing.assert_allclose(p1, p2, atol=1e-4)
    _, other = ch4_cnn.final_cnn(data, rate=0.2, out=None, epochs=1, seed=12)
    assert other["loss"].iloc[-1] != pytest.approx(first["loss"].iloc[-1], rel=1e-4)


def test_final_over_seeds_keeps_the_first_seeds_model():
    data = load_mnist(sample=True).subset(train=256, val=128, test=256)
    model, history, scores = final_over_seeds(data, rate=0.2, out=None, epochs=1, seeds=[11, 12])
    assert len(scores) == 2 and len(history) == 1
    (test,) = accuracies(model, (data.x_test, data.y_test))
    assert scores[0] == pytest.approx(test, abs=1e-9)
    with pytest.raises(ValueError, match="at least one seed"):
        final_over_seeds(data, rate=0.2, out=None, epochs=1, seeds=[])


def sweep_frame(val: list[float], test: list[float] | None = None) -> pd.DataFrame:
    rates = list(pset.CNN_SWEEP_RATES)
    return pd.DataFrame({"rate": rates, "val_accuracy": val, "test_accuracy": test or val})


SWEEP = sweep_frame([0.985, 0.984, 0.982, 0.98, 0.975, 0.97, 0.96, 0.95, 0.9, 0.5])


def seeded_regularizers(per_seed: dict[str, list[float]]) -> RegularizerResult:
    rows = [
        {
            "name": name,
            "seed": i,
            "val_accuracy": acc,
            "train_accuracy": acc + 0.01,
            "gap": 0.01 + 0.002 * j,
            "seconds": 1.0,
        }
        for j, (name, accs) in enumerate(per_seed.items())
        for i, acc in enumerate(accs)
    ]
    return RegularizerResult(pd.DataFrame(rows), 0.2, 1e-4, 5120, 4)


REGS = seeded_regularizers(
    {name: [0.97, 0.971, 0.972] for name in pset.REGULARIZERS}
)  # every setting alike: within noise


def cnn_result(seed_tests, *, rate=0.2, rate_source=None, sweep=SWEEP, probe=None, model=None):
    return ch4_cnn.CnnResult(
        sweep=sweep,
        sweep_images=50_000,
        rate=rate,
        regularizers=REGS,
        model=model,
        history=pd.DataFrame({"val_accuracy": [0.99], "seconds": [1.0]}),
        test_accuracy=seed_tests[0],
        epochs=10,
        quick=False,
        seed_tests=seed_tests,
        final_seeds=[101, 102, 103][: len(seed_tests)],
        rate_source=rate_source,
        probe=probe,
        train_images=50_000,
    )


def test_every_seed_above_the_bar_or_one_below_flips_the_verdict():
    holds = cnn_result([0.9941, 0.9932, 0.9955])
    assert holds.every_seed_holds and holds.seeds_below_bar == []
    s = holds.test_spread
    assert (s.min, s.median, s.max) == (0.9932, 0.9941, 0.9955)
    text = final_text(holds)
    assert all(n in text for n in ("0.9941", "0.9932", "0.9955"))
    assert "MISSES" not in text
    misses = cnn_result([0.9941, 0.9840, 0.9955])
    assert not misses.every_seed_holds and misses.seeds_below_bar == [2]
    text = final_text(misses)
    assert "0.9840" in text and "MISSES the set's 0.985" in text
    # The saved (first) seed alone decides meets_set_bar; the seeds their own key.
    assert misses.test_accuracy == 0.9941


def test_rate_chosen_by_the_sweep_or_set_by_you():
    chosen = choose_rate(SWEEP, ch4_cnn.SWEEP_TOLERANCE)
    assert chosen == 0.3  # the largest rate within 0.5 pt of the best (0.985)
    by_sweep = cnn_result([0.99], rate=chosen)
    assert by_sweep.rate_source == "chosen by the sweep"  # inferred: the sweep's own choice
    assert "chosen by the sweep" in rate_text(by_sweep) and "**0.3**" in rate_text(by_sweep)
    by_you = cnn_result([0.99], rate=0.5)
    assert by_you.rate_source == "set by you"
    text = rate_text(by_you)
    assert "set by you" in text and "**0.5**" in text and "0.3" in text  # the sweep's choice
    told = cnn_result([0.99], rate=chosen, rate_source="set by you")  # a rate= that agrees
    assert told.rate_source == "set by you"
    with pytest.raises(ValueError, match="rate_source must be one of"):
        cnn_result([0.99], rate_source="guessed")


def test_text_4f_reads_its_fields():
    model = ch4_cnn.chapter_cnn(0.5)
    r = cnn_result([0.9941, 0.9840, 0.9955], rate=0.5, model=model)
    text = ch4_cnn.text_4f(r)
    assert "(set by you)" in text and "MISSES the set's 0.985" in text
    assert "the whole training split (50,000 images" in text
    assert f"{model.count_params():,} parameters" in text
    results = ch4_cnn.cnn_results(r)
    assert results["test_accuracy_per_seed"] == [0.9941, 0.9840, 0.9955]
    assert results["every_seed_meets_set_bar"] is False and results["meets_set_bar"] is True
    assert results["rate_source"] == "set by you" and results["regularizer_verdict"] == (
        "within noise"
    )
    assert results["subset_probe"] is None


# --- the sweep beside the staff's ---------------------------------------------------------


def test_staff_column_and_where_the_curves_part():
    staff = list(pset.CNN_STAFF_SWEEP_2023)
    alike = sweep_frame(staff, [a - 0.005 for a in staff])
    assert parting_rate(alike) is None  # within 1 pt at every rate
    table = staff_comparison(alike)
    assert list(table["staff 2023 test"]) == staff
    assert table["ours − staff"].to_numpy() == pytest.approx(np.full(10, -0.005))
    assert "every rate" in sweep_text(cnn_result([0.99], sweep=alike))
    dips = [a - (0.3 if rate >= 0.6 else 0.002) for a, rate in zip(staff, pset.CNN_SWEEP_RATES)]
    parted = sweep_frame(staff, dips)
    assert parting_rate(parted) == 0.6
    text = sweep_text(cnn_result([0.99], sweep=parted))
    assert "p = 0.6" in text and f"{dips[6]:.4f}" in text and "0.9895" in text


def probe(subset_val: float, full_val: float, full_test: float) -> SubsetProbe:
    return SubsetProbe(
        0.8, 20_480, 50_000, subset_val, subset_val, full_val, full_test, 10_000, 0.9817
    )


@pytest.mark.parametrize(
    ("subset_val", "full_val", "full_test", "cause"),
    [
        (0.31, 0.975, 0.976, "the subset"),  # the whole split reaches the staff's 0.9817
        (0.31, 0.80, 0.79, "the subset and the CNN"),  # better, but far below the staff's
        (0.31, 0.312, 0.31, "the CNN"),  # no better beyond noise
    ],
)
def test_probe_says_what_makes_the_drop(subset_val, full_val, full_test, cause):
    p = probe(subset_val, full_val, full_test)
    assert p.drop_cause == cause
    text = probe_text(p)
    assert f"{subset_val:.4f}" in text and f"{full_val:.4f}" in text and "0.9817" in text
    assert p.gain.describe() in text


def test_seed_verdict_and_proportion_difference():
    a, b = Spread(0.97, 0.975, 0.98, 3), Spread(0.95, 0.96, 0.969, 3)
    assert seed_verdict(a, b) == "higher" and seed_verdict(b, a) == "lower"
    assert seed_verdict(a, Spread(0.96, 0.965, 0.97, 3)) == "within noise"  # touching ranges
    d = proportion_difference(0.9, 0.8, 1000)
    half = 1.959964 * np.sqrt((0.9 * 0.1 + 0.8 * 0.2) / 1000)
    assert d.mean == pytest.approx(0.1) and d.high - d.mean == pytest.approx(half, rel=1e-5)
    assert d.verdict == "higher"
    assert proportion_difference(0.9, 0.89, 100).verdict == "within noise"
    with pytest.raises(ValueError, match="at least 2 items"):
        proportion_difference(0.9, 0.8, 1)


# --- the regulariser reading --------------------------------------------------------------


def test_regularizer_text_names_a_winner_only_beyond_noise():
    beyond = seeded_regularizers(
        {
            "none": [0.95, 0.955, 0.96],
            "batch norm": [0.965, 0.97, 0.968],
            "dropout": [0.93, 0.945, 0.949],
            "batch norm + dropout": [0.975, 0.98, 0.978],
            "L2": [0.93, 0.94, 0.935],
        }
    )
    assert beyond.verdict == "separated" and beyond.winner == "batch norm + dropout"
    text = ch4_cnn.regularizer_text(beyond)
    assert text.startswith("**Which worked best:** batch norm + dropout")
    assert "0.9750" in text and "0.9700" in text  # its worst seed, the runner-up's best
    assert beyond.versus("none") == {
        "batch norm": "higher",
        "dropout": "lower",
        "batch norm + dropout": "higher",
        "L2": "lower",
    }
    within = seeded_regularizers(
        {
            "none": [0.975, 0.979, 0.97],
            "batch norm": [0.965, 0.97, 0.968],
            "dropout": [0.94, 0.945, 0.95],
            "batch norm + dropout": [0.976, 0.98, 0.978],
            "L2": [0.93, 0.94, 0.935],
        }
    )
    assert within.verdict == "within noise" and within.winner is None
    assert within.ranking() == ("batch norm + dropout", "none")
    assert within.within_noise_of_best() == ["none"]
    text = ch4_cnn.regularizer_text(within)
    assert "0.9780" in text and "0.9750" in text  # the two medians the verdict compared
    assert "**Which worked best:** batch norm + dropout" not in text  # no winner named
    assert ch4_cnn.cnn_headline(cnn_result([0.99], model=ch4_cnn.chapter_cnn(0.2))).startswith(
        "dropout 0.2, regularisers within noise (top median: none)"
    )


# --- 4F's written-out CNN against the library's builder ---------------------------------


def library_cnn(rate: float, *, batch_norm: bool = True, l2: float = 0.0) -> keras.Model:
    """`companion.models.cnn` with the chapter's settings (pset's CNN_ARCHITECTURE)."""
    return cnn(
        **pset.CNN_ARCHITECTURE, batch_norm=batch_norm, conv_dropout=rate, dropout=rate, l2=l2
    )


def same_weights(a: keras.Model, b: keras.Model) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights(), strict=True))


@pytest.mark.parametrize("rate", [0.1, 0.25, 0.5])
def test_chapter_cnn_is_the_library_cnn_layer_by_layer(rate):
    """The chapter's literal layer list and `cnn(**CNN)` agree, down to the seeded weights."""
    set_seed(4)
    mine = ch4_cnn.chapter_cnn(rate)
    set_seed(4)
    theirs = library_cnn(rate)
    assert_same_layers(mine, theirs)
    assert same_weights(mine, theirs)  # same layers built in the same order: same numbers
    assert mine.count_params() == 207_066 < pset.CNN_MAX_PARAMS


@pytest.mark.parametrize("name", pset.REGULARIZERS)
def test_each_regularizer_variant_is_the_library_one(name):
    """The comparison's settings, built from the chapter's CNN and from `cnn()`, agree."""
    build = partial(ch4_cnn.chapter_cnn, check=False)
    set_seed(5)
    mine = regularized_cnn(name, rate=0.3, l2=1e-3, build=build)
    set_seed(5)
    theirs = regularized_cnn(name, rate=0.3, l2=1e-3, architecture=pset.CNN_ARCHITECTURE)
    assert_same_layers(mine, theirs)
    assert same_weights(mine, theirs)
    assert len(mine.losses) == (4 if name == "L2" else 0)  # a penalty on each of 4 kernels


def test_assert_same_layers_catches_a_changed_setting():
    """The comparison fails on one differing config entry, though the parameters agree."""
    with pytest.raises(AssertionError, match="BatchNormalization"):
        assert_same_layers(
            ch4_cnn.chapter_cnn(0.2),
            cnn(**pset.CNN_ARCHITECTURE, conv_dropout=0.2, dropout=0.2, bn_momentum=0.99),
        )
    with pytest.raises(AssertionError):
        assert_same_layers(ch4_cnn.chapter_cnn(0.2), library_cnn(0.3))  # a Dropout's rate


def test_chapter_cnn_obeys_the_rules_or_says_which_it_breaks():
    check_model(ch4_cnn.chapter_cnn(0.2), CNN_RULES)
    with pytest.raises(RuleError, match="every Dropout layer has rate 0"):
        ch4_cnn.chapter_cnn(0.0)
    with pytest.raises(RuleError, match="needs at least one BatchNormalization"):
        ch4_cnn.chapter_cnn(0.2, batch_norm=False)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        ch4_cnn.chapter_cnn(1.0)


@pytest.fixture(scope="module")
def small_mnist():
    return load_mnist(sample=True).subset(train=256, val=256, test=256)


def plain_fit_hits(data, seed: int, *, rate: float, batch_norm: bool, max_shift: int):
    """The chapter's CNN built fresh, compiled and fitted one epoch: (val, test) hits."""
    x, y = data.x_train, one_hot(data.y_train)
    set_seed(seed)
    model = ch4_cnn.chapter_cnn(rate, batch_norm=batch_norm, check=False)
    ch4_cnn.compile_cnn(model, steps_per_run(len(x), 32, 1))
    batches = shifted_batches(x, y, batch_size=32, max_shift=max_shift, seed=seed)
    model.fit(batches, shuffle=False, verbose=0)
    return correct_predictions(model, (data.x_val, data.y_val), (data.x_test, data.y_test))


def test_sweep_shared_model_trains_as_a_plain_fit(small_mnist):
    """The sweep's one traced model scores as chapter_cnn built and fitted afresh would.

    At rate 0 the two draw no masks, so the same start, data and steps must give the same
    predictions (dropout masks differ between the two at other rates).
    """
    sweep = ch4_cnn.dropout_sweep(small_mnist, rates=(0.0,), seed=7)
    rate_seed = derive_seed(7, "rate-0.0")
    val, test = plain_fit_hits(small_mnist, rate_seed, rate=0.0, batch_norm=True, max_shift=1)
    one_image = 1 / len(val) + 1e-9  # float noise may flip at most a borderline image
    assert sweep.loc[0, "val_accuracy"] == pytest.approx(val.mean(), abs=one_image)
    assert sweep.loc[0, "test_accuracy"] == pytest.approx(test.mean(), abs=one_image)


@pytest.mark.parametrize("name", ["none", "batch norm"])
def test_regularizer_comparison_trains_as_a_plain_fit(small_mnist, name):
    """A comparison setting (shared traced model) scores as its plain chapter_cnn fit would.

    Its first seed is seeded from the comparison's seed and the name alone; the second
    seed starts elsewhere.
    """
    r = ch4_cnn.compare_regularizers(
        small_mnist, rate=0.3, names=(name,), train_images=256, epochs=1, seed=9, seeds=2
    )
    assert list(r.table["seed"]) == [derive_seed(9, name), derive_seed(9, f"{name}-1")]
    assert r.seeds == 2 and r.verdict == "untested"  # one setting: nothing to rank
    val, _ = plain_fit_hits(
        small_mnist, derive_seed(9, name), rate=0.0, batch_norm=name == "batch norm", max_shift=0
    )
    one_image = 1 / len(val) + 1e-9
    assert r.table.loc[0, "val_accuracy"] == pytest.approx(val.mean(), abs=one_image)
