"""Chapter 4: end to end in --quick mode, and each text function fed results by hand.

The hand-made results include the unusual findings (no regularisation winning): the report
must follow them. 4A, 4D and 4E have their own files (tests/test_ch4_p4a_padding.py, …).
"""

import json
from functools import partial

import keras
import numpy as np
import pandas as pd
import pytest
from model_match import assert_same_layers

from chapters import ch4_cnn
from chapters.ch4_cnn.regularizers import regularized_cnn
from companion import pset
from companion.augment import shifted_batches
from companion.data.mnist import load_mnist
from companion.errors import RuleError
from companion.models import CNN_RULES, check_model, cnn
from companion.seed import derive_seed, set_seed
from companion.stats import paired_difference
from companion.sweep import choose_rate
from companion.training import correct_predictions, one_hot, steps_per_run


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ch4") / "run"
    assert ch4_cnn.main(["--quick", "--out", str(out), "--seed", "3"]) == 0
    return out, json.loads((out / "summary.json").read_text())


def test_run_folder_has_every_file(quick_run):
    out, _ = quick_run
    for name in ("report.md", "summary.json", "config.json", "4F_cnn.keras"):
        assert (out / name).is_file(), name
    figures = {p.name for p in (out / "figures").glob("*.png")}
    assert {
        "4A_patch_coverage.png",
        "4D_pooling_noise.png",
        "4E_search.png",
        "4E_coverage.png",
        "4F_dropout_sweep.png",
        "4F_regularizers.png",
        "4F_cnn_curves.png",
    } <= figures
    histories = {p.name for p in (out / "histories").glob("*.csv")}
    assert {
        "4D_pooling_noise.csv",
        "4D_pooling_noise_seeds.csv",
        "4E_trials.csv",
        "4F_cnn.csv",
        "4F_dropout_sweep.csv",
        "4F_regularizers.csv",
    } <= histories
    report = (out / "report.md").read_text()
    for problem in ("4A", "4B", "4C", "4D", "4E", "4F"):
        assert f"## {problem}." in report
    assert "shipped sample" in report  # the data used is named
    config = json.loads((out / "config.json").read_text())
    assert config["seed"] == 3 and config["quick"] is True
    assert config["versions"]["keras"].startswith("3.")


def test_summary_answers(quick_run):
    out, summary = quick_run
    p = summary["problems"]
    assert set(p) == {"4A", "4B", "4C", "4D", "4E", "4F"}
    assert p["4B"]["params"] == 608 and p["4B"]["output_shape"] == [28, 28, 8]
    assert p["4B"]["keras_params"] == 608
    assert p["4C"]["average"] == [
        [[1, 0.5], [0.5, 0.25]],
        [[0.5, 1], [0.25, 0.5]],
        [[0.25, 0.5], [0.5, 1]],
        [[0.5, 0.25], [1, 0.5]],
    ]
    assert p["4C"]["max"] == [[[1, 1], [1, 1]]] * 4
    f = p["4F"]
    assert f["params"] < 1_000_000 and f["batch_size"] == 32 and f["epochs"] == 2
    assert [row["rate"] for row in f["dropout_sweep"]] == [i / 10 for i in range(10)]
    best = max(f["dropout_sweep"], key=lambda row: row["val_accuracy"])
    assert best["rate"] == f["best_val_rate"]
    assert f["dropout_rate"] > 0  # the set's rules need dropout that drops something
    sweep = pd.DataFrame(f["dropout_sweep"])
    assert f["dropout_rate"] == choose_rate(sweep, ch4_cnn.SWEEP_TOLERANCE)
    names = [row["name"] for row in f["regularizers"]]
    assert names == list(ch4_cnn.REGULARIZERS)
    for row in f["regularizers"]:
        assert set(row) == {"name", "val_accuracy", "gap"}
        assert 0.1 < row["val_accuracy"] <= 1 and -0.2 < row["gap"] < 0.5
    top = max(f["regularizers"], key=lambda row: row["val_accuracy"])
    assert f["best_regularizer"] == top["name"]
    assert 0.85 < f["test_accuracy"] <= 1.0


def test_saved_model_obeys_the_sets_rules(quick_run):
    out, summary = quick_run
    model = keras.models.load_model(out / "4F_cnn.keras")
    check_model(model, CNN_RULES)
    rates = {layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)}
    assert rates == {summary["problems"]["4F"]["dropout_rate"]}


def test_same_seed_same_summary_and_only_matches(quick_run, tmp_path):
    """4D alone, after the whole chapter drew its randomness in this process, scores as before.

    Its seeds come from the base seed and the problem id only (`ctx.seed_for`), so the
    numbers match to float precision, not merely within noise.
    """
    _, summary = quick_run
    out = tmp_path / "again"
    assert ch4_cnn.main(["--quick", "--out", str(out), "--seed", "3", "--only", "4d"]) == 0
    again = json.loads((out / "summary.json").read_text())["problems"]["4D"]["table"]
    for first, second in zip(summary["problems"]["4D"]["table"], again):
        for key, value in first.items():
            if isinstance(value, float):
                assert second[key] == pytest.approx(value, abs=1e-3), key


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


def test_resume_keeps_finished_problems(quick_run):
    out, summary = quick_run
    code = ch4_cnn.main(["--quick", "--out", str(out), "--seed", "3", "--resume"])
    assert code == 0
    resumed = json.loads((out / "summary.json").read_text())
    assert resumed["problems"]["4F"] == summary["problems"]["4F"]  # kept, not retrained


def test_user_errors_exit_with_one_line(tmp_path, capsys):
    assert ch4_cnn.main(["--only", "4G", "--out", str(tmp_path)]) == 2
    assert "unknown problem id 4G" in capsys.readouterr().err
    missing = tmp_path / "nope.npz"
    assert ch4_cnn.main(["--only", "4D", "--mnist", str(missing), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "MNIST file not found" in err and str(missing) in err and "\n" not in err


# --- text functions fed results by hand ------------------------------------------------


def test_4b_text_follows_its_numbers():
    count = ch4_cnn.conv_count()
    assert count.agree and count.params == 608 and count.output_shape == (28, 28, 8)
    assert "**608 parameters**" in ch4_cnn.text_4b(count)
    wrong = ch4_cnn.ConvCountResult(608, (28, 28, 8), 600, (28, 28, 8))
    assert not wrong.agree
    assert "DIFFERENT from the formula" in ch4_cnn.text_4b(wrong)  # the verdict `agree` chose
    assert "600 parameters" in ch4_cnn.text_4b(wrong)  # with Keras' own count


def test_4c_text_and_headline_follow_the_pooled_outputs():
    r = ch4_cnn.pooling()
    assert ch4_cnn.pooling_headline(r) == (
        "average: [[1, 1/2], [1/2, 1/4]] and rotations; max: all ones"
    )
    assert "Max pooling is invariant to this one-pixel shift; average pooling is not." in (
        ch4_cnn.text_4c(r)
    )
    # Reversed by hand: max pooling tells the inputs apart, average pooling does not.
    same = np.full((2, 2), 0.5)
    reversed_result = ch4_cnn.PoolingResult(
        r.inputs,
        {name: same for name in r.inputs},
        {name: np.eye(2) * (i + 1) for i, name in enumerate(r.inputs)},
    )
    text = ch4_cnn.text_4c(reversed_result)
    assert "Average pooling is invariant to this shift; max pooling is not." in text
    assert "Max pooling gives 4 different outputs for 4 inputs." in text
    assert ch4_cnn.pooling_headline(reversed_result) == (
        "average: always [[1/2, 1/2], [1/2, 1/2]]; max: 4 different outputs"
    )


def regularizers(accuracies: dict[str, float], n: int = 2000) -> ch4_cnn.RegularizerResult:
    """Validation hits with the given accuracies, nested so that better models add hits."""
    hits = {name: np.arange(n) < round(acc * n) for name, acc in accuracies.items()}
    table = pd.DataFrame(
        {
            "name": list(accuracies),
            "val_accuracy": list(accuracies.values()),
            "train_accuracy": [a + 0.01 for a in accuracies.values()],
            "gap": [0.01 + 0.001 * i for i in range(len(accuracies))],
            "seconds": 1.0,
        }
    )
    return ch4_cnn.RegularizerResult(table, hits, 0.2, 1e-4, 1024, 3)


def test_4f_text_names_no_regularisation_when_it_wins():
    r = regularizers(
        {
            "none": 0.95,
            "batch norm": 0.93,
            "dropout": 0.9495,
            "batch norm + dropout": 0.94,
            "L2": 0.92,
        }
    )
    text = ch4_cnn.regularizer_text(r)
    best, second, diff = r.best()
    assert (best, second, diff.verdict) == ("none", "dropout", "within noise")
    assert r.versus("batch norm", "none").verdict == "lower"  # below none beyond noise
    assert text.startswith("**Which worked best:** none")
    assert "(0.9495)" in text and "within noise" in text
    assert "+1.00%" in text  # the smallest training/validation gap, none's


def test_4f_text_when_batch_norm_and_dropout_wins_clearly():
    r = regularizers(
        {"none": 0.90, "batch norm": 0.93, "dropout": 0.91, "batch norm + dropout": 0.97, "L2": 0.9}
    )
    text = ch4_cnn.regularizer_text(r)
    assert text.startswith("**Which worked best:** batch norm + dropout")
    assert "more than the noise" in text  # the verdict diff (below) chose
    best, second, diff = r.best()
    assert diff.verdict == "higher"
    assert (best, second) == ("batch norm + dropout", "batch norm")
    assert diff.mean == pytest.approx(0.04)
    assert diff == paired_difference(r.val_correct[best], r.val_correct[second])


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
    """A comparison setting (shared traced model) scores as its plain chapter_cnn fit would."""
    r = ch4_cnn.compare_regularizers(
        small_mnist, rate=0.3, names=(name,), train_images=256, epochs=1, seed=9
    )
    setting_seed = derive_seed(9, name)
    val, _ = plain_fit_hits(
        small_mnist, setting_seed, rate=0.0, batch_norm=name == "batch norm", max_shift=0
    )
    one_image = 1 / len(val) + 1e-9
    assert r.table.loc[0, "val_accuracy"] == pytest.approx(val.mean(), abs=one_image)
