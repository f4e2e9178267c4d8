"""Chapter 2: --quick end to end, --csv on the fixture, a bad CSV, seeds, the written-out nets,
text chosen by numbers."""

import json
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest
from model_match import assert_same_layers

from chapters import ch2_inside
from chapters.ch2_inside import p2c_linear_net
from chapters.ch2_inside.p2b_cases import data_line, tag
from companion.data.covid import synthetic_covid
from companion.seed import set_seed
from companion.tabular.linear import linear_net
from companion.tabular.prepare import INPUT_CATEGORICALS, prepare_covid
from companion.training import train

FIXTURE = Path(__file__).resolve().parents[1] / "companion" / "data" / "covid_fixture.csv"
LABEL = tag({"synthetic": True}).strip()  # the label synthetic figures carry
SCORE_KEYS = {"test_accuracy", "balanced_accuracy", "roc_auc", "final_loss", "baseline_accuracy"}


QUICK = ["--quick", "--rows", "12000", "--epochs", "8"]  # enough for 2D at several seeds


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ch2")
    code = ch2_inside.main([*QUICK, "--out", str(out)])
    return code, out, json.loads((out / "summary.json").read_text())


def test_quick_run_writes_every_problem(quick_run):
    code, out, summary = quick_run
    assert code == 0
    problems = summary["problems"]
    assert set(problems) == {"2A", "2B", "2C", "2D"}
    assert problems["2A"]["versions"]["keras"].startswith("3.")
    assert problems["2B"]["rows_after_step"]["loaded"] == 12000
    assert problems["2B"]["features"] == list(INPUT_CATEGORICALS)  # factorized: one code each
    for problem in ("2C", "2D"):
        assert not SCORE_KEYS - set(problems[problem]), problem
    for figure in ("2B_death_rates", "2C_curves", "2C_weights", "2D_losses", "2D_log_odds"):
        assert (out / "figures" / f"{figure}.png").stat().st_size > 5_000


def test_quick_run_numbers(quick_run):
    problems = quick_run[2]["problems"]
    for problem in ("2C", "2D"):
        scores = problems[problem]
        assert 0.95 < scores["baseline_accuracy"] < 0.99  # always No, on a ~2.6 % outcome
        assert scores["roc_auc"] > 0.75  # age and hospitalisation carry real signal
        assert scores["balanced_accuracy"] > 0.6
    assert problems["2D"]["collapse_max_abs_diff"] < 1e-5
    assert problems["2D"]["relu_collapse_max_abs_diff"] > 1e-3
    weights = problems["2C"]["first_layer_weights"]
    assert len(weights) == 5 and len(weights[0]) == len(problems["2B"]["features"])


def test_synthetic_data_is_labelled_everywhere(quick_run):
    _, out, summary = quick_run
    report = (out / "report.md").read_text()
    rows = summary["problems"]["2B"]["rows_after_step"]["loaded"]
    assert f"{rows:,} rows" in report and "SYNTHETIC" in report  # the data line at the top
    for problem in ("2B", "2C", "2D"):
        section = (out / "sections" / f"{problem}.md").read_text()
        body = section.split("\n\n", 1)[1]  # after the heading: the data line, loud if synthetic
        assert body.startswith(data_line({"synthetic": True})[:20])
        assert summary["problems"][problem]["synthetic"] is True
    assert report.count(LABEL) >= 10  # five figures, caption and alt text each


def test_csv_fixture_preprocessing(tmp_path, capsys):
    out = tmp_path / "csv"
    assert ch2_inside.main(["--csv", str(FIXTURE), "--only", "2B", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    rows = summary["problems"]["2B"]["rows_after_step"]
    assert rows["loaded"] == 400 and rows["death_yn Yes/No"] == 256


def test_a_synthetic_csv_is_reported_as_synthetic(tmp_path):
    # The fixture is synthetic and says so in its first line: --csv must not call it CDC data.
    out = tmp_path / "fixture"
    assert ch2_inside.main(["--csv", str(FIXTURE), "--only", "2B", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["problems"]["2B"]["synthetic"] is True
    report = (out / "report.md").read_text()
    assert "SYNTHETIC" in report  # the data line calls the marked file synthetic
    section = (out / "sections" / "2B.md").read_text()
    marker = FIXTURE.read_text().splitlines()[0]
    assert marker.lstrip("# ") in section  # the data line quotes the file's own marker
    assert LABEL in section  # the figure's caption
    # The same rows without the marker line are taken as the CDC file.
    plain = tmp_path / "plain.csv"
    plain.write_text(FIXTURE.read_text().split("\n", 1)[1])
    out = tmp_path / "plain"
    assert ch2_inside.main(["--csv", str(plain), "--only", "2B", "--out", str(out)]) == 0
    assert json.loads((out / "summary.json").read_text())["problems"]["2B"]["synthetic"] is False
    assert "SYNTHETIC" not in (out / "report.md").read_text()


def test_bad_csv_is_one_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("cdc_report_dt,sex\n2020/01/02,Male\n")
    code = ch2_inside.main(["--csv", str(bad), "--only", "2B", "--out", str(tmp_path / "o")])
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert "cdc_case_earliest_dt, pos_spec_dt" in error  # the columns missing, by name
    assert str(bad) in error  # and the file
    assert len(error.splitlines()) == 1


def test_a_problem_gives_the_same_numbers_whatever_ran_before(quick_run, tmp_path):
    # Alone, 2D trains 2C's one-layer net itself: with 2C's seed it is the same net, and
    # 2D's own nets do not depend on what 2A-2C drew before them.
    out = tmp_path / "alone"
    assert ch2_inside.main([*QUICK, "--only", "2D", "--out", str(out)]) == 0
    alone = json.loads((out / "summary.json").read_text())["problems"]["2D"]
    after = quick_run[2]["problems"]
    assert alone["one_layer_final_loss"] == pytest.approx(after["2C"]["final_loss"], rel=1e-6)
    for key in ("final_loss", "final_val_loss", "roc_auc", "collapse_max_abs_diff"):
        assert alone[key] == pytest.approx(after["2D"][key], rel=1e-6, abs=1e-9), key
    assert alone["relu"]["final_loss"] == pytest.approx(after["2D"]["relu"]["final_loss"], rel=1e-6)


@pytest.fixture(scope="module")
def small_data():
    return prepare_covid(synthetic_covid(3000, seed=5), seed=5)


def test_a_net_seeds_itself(small_data):
    first = ch2_inside.train_linear_net(small_data, epochs=1, seed=3)
    np.random.default_rng().random(10)  # draws that must not matter
    keras.random.normal((4,))
    ch2_inside.train_linear_net(small_data, epochs=1, seed=99)
    again = ch2_inside.train_linear_net(small_data, epochs=1, seed=3)
    assert again.final_loss == pytest.approx(first.final_loss, rel=1e-6)
    np.testing.assert_allclose(again.first_layer_weights(), first.first_layer_weights())
    other = ch2_inside.train_linear_net(small_data, epochs=1, seed=4)
    assert not np.allclose(other.first_layer_weights(), first.first_layer_weights())
    assert first.first_layer_weights().shape == (5, small_data.input_dim)


# --- the nets written out in the chapter are the library's `linear_net` --------------


@pytest.mark.parametrize(
    ("chapter_net", "settings"),
    [
        (ch2_inside.one_linear_layer, {"hidden": (5,)}),  # 2C
        (ch2_inside.two_linear_layers, {"hidden": (5, 5)}),  # 2D
        (ch2_inside.two_relu_layers, {"hidden": (5, 5), "relu": True}),  # 2D's comparison
    ],
)
def test_the_chapters_nets_are_the_builders(chapter_net, settings):
    set_seed(11)
    ours = chapter_net(9)
    set_seed(11)
    builders = linear_net(9, **settings)
    assert_same_layers(ours, builders)
    for mine, theirs in zip(ours.get_weights(), builders.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)  # same seed, same start: same numbers
    widths = [layer.units for layer in ours.layers if isinstance(layer, keras.layers.Dense)]
    assert widths == [*settings["hidden"], 2]
    narrow = {**settings, "hidden": tuple(3 for _ in settings["hidden"])}
    assert_same_layers(chapter_net(9, width=3), linear_net(9, **narrow))


def test_a_layer_out_of_place_is_caught():
    # The comparison must see a difference the parameter count does not.
    relu_last = linear_net(9, hidden=(5, 5))
    with pytest.raises(AssertionError):
        assert_same_layers(ch2_inside.two_relu_layers(9), relu_last)
    swapped = keras.Sequential(
        [keras.Input(shape=(9,)), keras.layers.Dense(5, use_bias=False), keras.layers.Dense(2)]
    )
    swapped.add(keras.layers.Softmax())
    with pytest.raises(AssertionError):
        assert_same_layers(ch2_inside.one_linear_layer(9), swapped)


def test_the_chapter_trains_its_own_net(small_data):
    relu = ch2_inside.train_linear_net(small_data, ch2_inside.two_relu_layers, epochs=1, seed=2)
    assert relu.model.name == "two_relu_layers"
    assert_same_layers(relu.model, ch2_inside.two_relu_layers(small_data.input_dim))
    assert relu.settings["hidden"] == [5, 5] and relu.settings["relu"] is True
    one = ch2_inside.train_linear_net(small_data, epochs=1, seed=2)  # 2C's net by default
    assert one.model.name == "one_linear_layer" and one.settings["relu"] is False


def test_the_chapters_fit_matches_the_library_train(small_data):
    # model.fit in the chapter gives the numbers the library's `train` gave before it.
    ours = ch2_inside.train_linear_net(small_data, ch2_inside.two_linear_layers, epochs=2, seed=7)
    set_seed(7)
    model = linear_net(small_data.input_dim, hidden=(5, 5))
    history = train(
        model,
        small_data.x_train,
        small_data.y_train,
        epochs=2,
        validation_data=(small_data.x_val, small_data.y_val),
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        steps_per_execution=32,
    )
    for mine, theirs in zip(ours.model.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
    assert ours.final_val_loss == pytest.approx(history["val_loss"].iloc[-1], rel=1e-5)


# --- every comparison in the text follows the numbers (fake nets, no training) ---------


def fake_net(val_loss, *, loss=None, accuracy=0.95, baseline=0.97, deaths=50):
    scores = {
        "test_loss": val_loss,
        "test_accuracy": accuracy,
        "baseline_accuracy": baseline,
        "balanced_accuracy": 0.8,
        "roc_auc": 0.9,
        "recall_yes": 0.6,
        "predicted_yes": 0.05,
    }
    settings = {"hidden": [5], "relu": False, "epochs": 20, "batch_size": 32}
    settings.update(learning_rate=1e-3, train_rows=900, test_rows=1000, test_deaths=deaths)
    data = SimpleNamespace(source={}, input_dim=7, y_test=np.zeros(1000))
    loss = val_loss + 0.1 if loss is None else loss
    return p2c_linear_net.NetResult(None, None, scores, loss, val_loss, settings, data)


def collapse(one, two, relu):
    return ch2_inside.Collapse(one, two, relu, 2e-7, 0.9, "refused")


@pytest.mark.parametrize(
    ("relu_val_loss", "finding"),
    [
        (0.100, "better"),  # 0.0200 below the better linear net, more than twice their 0.0020
        (0.1159, "better"),  # just past twice the noise
        (0.1161, "within noise"),  # just short of it
        (0.121, "within noise"),
        (0.1241, "worse"),
        (0.140, "worse"),
    ],
)
def test_the_relu_finding_follows_the_losses(relu_val_loss, finding):
    demo = collapse(fake_net(0.120), fake_net(0.122), fake_net(relu_val_loss))
    assert demo.linear_noise == pytest.approx(0.002)
    assert demo.relu_change == pytest.approx(0.120 - relu_val_loss)
    assert demo.relu_finding == finding
    text = ch2_inside.text_2d(demo)
    assert f"{abs(demo.relu_change):.4f}" in text or finding == "within noise"
    assert f"{demo.linear_noise:.4f}" in text or finding == "worse"
    assert f"{relu_val_loss:.4f}" in text  # the ReLU net's validation loss it was chosen by


def test_the_noise_has_a_floor():
    # Linear nets 0.0001 apart: the floor (0.002), not their gap, sets what counts as a change.
    demo = collapse(fake_net(0.1200), fake_net(0.1201), fake_net(0.1170))
    assert demo.linear_noise == pytest.approx(0.002) and demo.relu_finding == "within noise"
    wide = collapse(fake_net(0.120), fake_net(0.130), fake_net(0.100))  # noise 0.01
    assert wide.linear_noise == pytest.approx(0.01) and wide.relu_finding == "within noise"


@pytest.mark.parametrize(
    ("second_loss", "gap", "match"),
    [(0.205, 0.0244, True), (0.2105, 0.0499, True), (0.2106, 0.0503, False), (0.300, 1 / 3, False)],
)
def test_the_match_finding_follows_the_losses(second_loss, gap, match):
    demo = collapse(fake_net(0.12, loss=0.200), fake_net(0.12, loss=second_loss), fake_net(0.12))
    assert demo.training_loss_gap == pytest.approx(gap, abs=1e-4)
    assert demo.losses_match is match
    text = ch2_inside.text_2d(demo)
    assert f"{demo.training_loss_gap:.1%} apart" in text and f"{second_loss:.4f}" in text


def test_the_collapse_verdicts_are_in_the_summary():
    demo = collapse(fake_net(0.120), fake_net(0.122), fake_net(0.100))
    demo.two_layer.model = linear_net(2, hidden=(5, 5))  # summary() multiplies it out
    demo.two_layer.data.feature_names = ["a", "b"]
    summary = demo.summary()
    assert summary["relu_finding"] == "better" and summary["losses_match"] is True
    assert summary["relu_val_loss_change"] == pytest.approx(0.02)
    assert summary["linear_val_loss_noise"] == pytest.approx(0.002)


@pytest.mark.parametrize(
    ("accuracy", "beats"), [(0.95, False), (0.9699, False), (0.97, True), (0.98, True)]
)
def test_the_accuracy_verdict_follows_the_baseline(accuracy, beats):
    net = fake_net(0.1, accuracy=accuracy, baseline=0.97)
    assert net.accuracy_gap == pytest.approx(accuracy - 0.97)
    assert net.beats_baseline is beats and net.summary()["beats_baseline"] is beats
    verdict = p2c_linear_net._verdict(net)
    assert f"{abs(net.accuracy_gap) * 100:.2f} points" in verdict
    assert f"{accuracy:.2%}" in verdict and "97.00%" in verdict


@pytest.mark.parametrize(("deaths", "few"), [(12, True), (29, True), (30, False), (50, False)])
def test_few_deaths_are_flagged(deaths, few):
    net = fake_net(0.1, deaths=deaths)
    assert net.few_deaths is few and net.summary()["few_deaths"] is few
    assert (f"{deaths} deaths" in p2c_linear_net._verdict(net)) is few  # named only when few
