"""`train`, `one_hot` and the training callbacks, on tiny seeded data.

Compiling a Keras model costs seconds here, so one module-wide training run feeds most of
the checks, and the callbacks are also driven by hand with made-up logs.
"""

import gc
import io
import os
import signal
import subprocess
import sys
import weakref
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from keras import layers
from matplotlib.figure import Figure

import companion.callbacks
import companion.plots
from companion.callbacks import ReleaseEarlierTrainings, TrainingCurves
from companion.plots import history_frame
from companion.run.atomic import read_json
from companion.run.folder import RunFolder
from companion.seed import set_seed
from companion.training import (
    accuracies,
    correct_predictions,
    cosine_adam,
    fit_callbacks,
    one_hot,
    steps_per_run,
    train,
)

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"
COLUMNS = ["epoch", "accuracy", "loss", "squared", "val_accuracy", "val_loss", "val_squared"]


def blobs():
    """Two separable blobs around ±2 in 6 dimensions, one-hot over 3 classes (class 2 unused)."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 96)
    x = (rng.normal(size=(96, 6)) + 2.0 * (2 * labels[:, None] - 1)).astype("float32")
    return x[:64], one_hot(labels[:64], 3), x[64:], one_hot(labels[64:], 3)


class Spy:
    """Wraps plot_history to keep every figure TrainingCurves draws."""

    def __init__(self):
        self.figures = []

    def __call__(self, frame, **kwargs):
        fig = self.real(frame, **kwargs)
        self.figures.append(fig)
        return fig

    real = staticmethod(companion.plots.plot_history)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One run of `train` with every file switched on and a custom metric name."""
    out = tmp_path_factory.mktemp("train")
    x, y, xv, yv = blobs()
    set_seed(0)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            layers.Dense(8, activation="relu"),
            layers.Dense(3, activation="softmax"),
        ]
    )
    spy = Spy()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(companion.callbacks, "plot_history", spy)
        frame = train(
            model,
            x,
            y,
            epochs=2,
            batch_size=16,
            validation_data=(xv, yv),
            optimizer=keras.optimizers.Adam(0.05),
            metrics=("accuracy", keras.metrics.MeanSquaredError(name="squared")),
            out=out,
            name="blobs",
            checkpoint=True,
        )
    return {"frame": frame, "out": out, "model": model, "spy": spy, "data": (x, y, xv, yv)}


def test_one_hot():
    encoded = one_hot([2, 0, 1], 4)
    assert encoded.dtype == np.float32
    np.testing.assert_array_equal(encoded, np.eye(4, dtype="float32")[[2, 0, 1]])


def test_train_returns_one_row_per_epoch(trained):
    frame = trained["frame"]
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns[0] == "epoch" and frame["epoch"].tolist() == [1, 2]
    assert sorted(frame.columns) == sorted([*COLUMNS, "seconds"])
    assert ((frame["seconds"] > 0) & (frame["seconds"] < 120)).all()
    assert frame["loss"].iloc[-1] < frame["loss"].iloc[0]
    assert frame["val_accuracy"].iloc[-1] > 0.9  # the blobs are easy
    # The last epoch's validation accuracy is the final model's, measured afresh.
    _, _, xv, yv = trained["data"]
    assert frame["val_accuracy"].iloc[-1] == pytest.approx(
        accuracies(trained["model"], (xv, yv.argmax(axis=1)))[0]
    )


def test_train_writes_the_history_csv(trained):
    # Written epoch by epoch by a callback during fit; the frame comes from fit's History.
    csv = pd.read_csv(trained["out"] / "histories" / "blobs.csv")
    pd.testing.assert_frame_equal(csv, trained["frame"], check_dtype=False)
    assert [p.name for p in (trained["out"] / "histories").iterdir()] == ["blobs.csv"]


def tiny_model():
    set_seed(0)
    return keras.Sequential(
        [
            keras.Input((6,)),
            layers.Dense(4, activation="relu"),
            layers.Dense(3, activation="softmax"),
        ]
    )


def test_an_interrupted_train_keeps_the_epochs_it_finished_in_its_csv(tmp_path):
    class CtrlC(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    x, y, _, _ = blobs()
    with pytest.raises(KeyboardInterrupt):
        train(
            tiny_model(),
            x,
            y,
            epochs=4,
            out=tmp_path,
            name="cut",
            curves=False,
            callbacks=[CtrlC()],
        )
    csv = pd.read_csv(tmp_path / "histories" / "cut.csv")
    assert csv["epoch"].tolist() == [1, 2] and {"loss", "accuracy", "seconds"} <= set(csv.columns)


def test_train_takes_a_dataset_that_batches_itself():
    import tensorflow as tf

    x, y, xv, yv = blobs()
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)  # 64 rows: 4 batches
    model = tiny_model()
    frame = train(model, batches, epochs=2, validation_data=(xv, yv), batch_size=999)
    assert frame["epoch"].tolist() == [1, 2] and "val_accuracy" in frame.columns
    assert int(model.optimizer.iterations) == 8  # the dataset's batches, not batch_size's


def test_train_with_arrays_needs_targets():
    x, _, _, _ = blobs()
    model = tiny_model()
    with pytest.raises(ValueError, match="`y`"):
        train(model, x, epochs=1)
    assert not model.compiled


@pytest.mark.parametrize(
    ("examples", "batch_size", "epochs", "steps"), [(100, 32, 3, 12), (96, 32, 1, 3), (5, 10, 2, 2)]
)
def test_steps_per_run_counts_the_short_last_batch(examples, batch_size, epochs, steps):
    assert steps_per_run(examples, batch_size, epochs) == steps


def test_steps_per_run_refuses_empty_runs():
    with pytest.raises(ValueError, match="0, 32 and 3"):
        steps_per_run(0, 32, 3)


def test_cosine_adam_falls_from_the_peak_to_alpha_times_the_peak():
    optimizer = cosine_adam(0.01, 100, alpha=0.1)
    assert isinstance(optimizer, keras.optimizers.Adam)
    assert float(optimizer.learning_rate) == pytest.approx(0.01)
    optimizer.iterations.assign(50)
    assert float(optimizer.learning_rate) == pytest.approx(0.01 * (0.1 + 0.9 * 0.5), rel=1e-4)
    optimizer.iterations.assign(100)
    assert float(optimizer.learning_rate) == pytest.approx(0.001, rel=1e-4)
    optimizer.iterations.assign(500)  # past the end: it stays at the floor
    assert float(optimizer.learning_rate) == pytest.approx(0.001, rel=1e-4)
    with pytest.raises(ValueError, match="learning rate.*0"):
        cosine_adam(0, 100)


def test_train_draws_the_curves_by_metric_name(trained):
    assert (trained["out"] / "figures" / "blobs_curves.png").read_bytes()[:8] == PNG
    figures = trained["spy"].figures
    assert len(figures) == 2  # redrawn at each epoch end
    panels = {
        ax.get_title(): [line.get_label() for line in ax.get_lines()] for ax in figures[-1].axes
    }
    assert panels == {
        "accuracy": ["accuracy", "val_accuracy"],
        "loss": ["loss", "val_loss"],
        "squared": ["squared", "val_squared"],
    }


def test_train_checkpoints_the_best_epoch(trained):
    frame, model = trained["frame"], trained["model"]
    # val_loss fell at each epoch, so the best epoch is the last: the saved weights are
    # the model's final weights.
    assert frame["val_loss"].is_monotonic_decreasing
    restored = keras.models.load_model(trained["out"] / "blobs.keras")
    for saved, final in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_allclose(saved, final, rtol=1e-6)


def test_train_without_out_writes_nothing_and_keeps_the_compilation(trained, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x, y, _, _ = trained["data"]
    frame = train(trained["model"], x, y, epochs=1, optimizer=None, checkpoint=True)
    # optimizer=None keeps the earlier compile: same metrics, no validation this time.
    assert sorted(frame.columns) == ["accuracy", "epoch", "loss", "seconds", "squared"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("epochs", [0, -1, 0.5])
def test_train_refuses_fewer_than_one_epoch(epochs):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    with pytest.raises(ValueError, match=f"epochs.*{epochs}"):
        train(model, np.zeros((4, 2)), np.zeros((4, 1)), epochs=epochs)
    assert not model.compiled  # refused before doing anything


def drive(curves, logs_per_epoch):
    """Play epochs through a callback as `fit` would."""
    curves.set_params({"epochs": len(logs_per_epoch)})
    curves.on_train_begin()
    for epoch, logs in enumerate(logs_per_epoch):
        curves.on_epoch_end(epoch, logs)


def test_training_curves_pair_custom_metrics_and_redraw_every_n(tmp_path, monkeypatch):
    spy = Spy()
    monkeypatch.setattr(companion.callbacks, "plot_history", spy)
    curves = TrainingCurves(tmp_path / "c.png", every=2, title="custom")
    logs = {"loss": 1.0, "hit_rate": 0.5, "val_hit_rate": 0.4, "val_loss": 1.2, "seconds": 0.1}
    curves.set_params({"epochs": 3})
    curves.on_train_begin()
    shared = {}
    for epoch in range(3):
        # Keras reuses one dict for the logs: the callback must copy it.
        shared.update({k: v / (epoch + 1) for k, v in logs.items()})
        curves.on_epoch_end(epoch, shared)
    assert len(spy.figures) == 2  # epoch 2 (every=2) and epoch 3 (the last)
    assert [row["epoch"] for row in curves.rows] == [1, 2, 3]
    assert [row["loss"] for row in curves.rows] == [1.0, 0.5, pytest.approx(1 / 3)]
    fig = spy.figures[-1]
    panels = {ax.get_title(): [line.get_label() for line in ax.get_lines()] for ax in fig.axes}
    assert panels == {"loss": ["loss", "val_loss"], "hit_rate": ["hit_rate", "val_hit_rate"]}
    assert fig.axes[0].get_lines()[0].get_xdata().tolist() == [1, 2, 3]
    assert fig.get_suptitle() == "custom"
    assert (tmp_path / "c.png").read_bytes()[:8] == PNG


def test_training_curves_restart_with_each_fit(tmp_path):
    curves = TrainingCurves(tmp_path / "sub" / "c.png")
    drive(curves, [{"loss": 1.0}, {"loss": 0.5}])
    drive(curves, [{"loss": 0.2}])
    assert curves.rows == [{"epoch": 1, "loss": 0.2}]
    assert (tmp_path / "sub" / "c.png").exists()  # the folder is made on demand


def test_correct_predictions_splits_one_predict_call_back_into_its_splits():
    """A fixed linear classifier: item i is class argmax of its own row, so hits are known."""
    model = keras.Sequential([keras.Input((3,)), layers.Dense(3, use_bias=False)])
    model.layers[0].set_weights([np.eye(3, dtype="float32")])
    x = np.eye(3, dtype="float32")[[0, 1, 2, 2, 1]]
    first, second = correct_predictions(model, (x[:2], [0, 2]), (x[2:], [2, 2, 1]))
    np.testing.assert_array_equal(first, [True, False])
    np.testing.assert_array_equal(second, [True, True, True])
    assert first.dtype == bool and second.mean() == 1.0


def test_accuracies_are_the_share_right_per_split_from_one_predict(monkeypatch):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(3, use_bias=False)])
    model.layers[0].set_weights([np.eye(3, dtype="float32")])
    calls = []
    predict = model.predict
    monkeypatch.setattr(model, "predict", lambda *a, **k: calls.append(1) or predict(*a, **k))
    x = np.eye(3, dtype="float32")[[0, 1, 2, 2]]
    assert accuracies(model, (x[:2], [0, 0]), (x, [0, 1, 2, 2])) == [0.5, 1.0]
    assert len(calls) == 1


def test_correct_predictions_refuses_mismatched_or_missing_splits():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(3)])
    with pytest.raises(ValueError, match="2 inputs.*3 labels"):
        correct_predictions(model, (np.zeros((2, 3)), [0, 1, 2]))
    with pytest.raises(ValueError, match="at least one"):
        correct_predictions(model)


def test_model_fit_with_fit_callbacks_writes_what_train_writes(tmp_path):
    x, y, xv, yv = blobs()
    set_seed(0)
    model = keras.Sequential([keras.Input((6,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(
        x, y, epochs=3, batch_size=16, validation_data=(xv, yv), verbose=0,
        callbacks=fit_callbacks(tmp_path, "plain", checkpoint=True),
    )  # fmt: skip
    frame = history_frame(history)
    assert list(frame["epoch"]) == [1, 2, 3]
    assert (frame["seconds"] > 0).all()
    csv = pd.read_csv(tmp_path / "histories" / "plain.csv")
    assert list(csv["epoch"]) == [1, 2, 3]
    assert np.allclose(csv["val_loss"], frame["val_loss"])
    assert (tmp_path / "figures" / "plain_curves.png").read_bytes().startswith(PNG)
    assert (tmp_path / "plain.keras").exists()


def test_fit_callbacks_without_a_folder_write_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    kinds = {type(c).__name__ for c in fit_callbacks(None, "x", checkpoint=True)}
    # the progress line joins only while someone shows progress (an earlier test may)
    assert kinds - {"EpochProgress"} == {"EpochTimer", "ReleaseEarlierTrainings"}
    assert list(tmp_path.iterdir()) == []


def held_in_a_cycle() -> weakref.ref:
    """A weak reference to a cycle holding data, as a finished fit leaves them."""

    class Holder:
        pass

    held = Holder()
    held.self, held.data = held, np.zeros(1000)
    return weakref.ref(held)


def fit_tiny(callbacks) -> None:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(loss="mse")
    model.fit(np.zeros((4, 2)), np.zeros(4), callbacks=callbacks, verbose=0)


@pytest.fixture
def clock(monkeypatch):
    """A fake clock for ReleaseEarlierTrainings, and no collection on record."""
    now = [1000.0]
    monkeypatch.setattr(ReleaseEarlierTrainings, "clock", staticmethod(lambda: now[0]))
    monkeypatch.setattr(ReleaseEarlierTrainings, "last_end", -float("inf"))
    monkeypatch.setattr(ReleaseEarlierTrainings, "last_cost", 0.0)
    gc.disable()  # so nothing but the callback collects (a test that can fail)
    yield now
    gc.enable()


def test_fit_callbacks_free_what_earlier_trainings_left_in_reference_cycles(clock):
    alive = held_in_a_cycle()  # only a full collection frees it
    assert alive() is not None
    fit_tiny(fit_callbacks())
    assert alive() is None


def test_collections_take_at_most_their_share_of_the_time(clock):
    ReleaseEarlierTrainings.last_end, ReleaseEarlierTrainings.last_cost = clock[0], 0.2
    alive = held_in_a_cycle()
    clock[0] += 0.2 / ReleaseEarlierTrainings.share - 0.01  # just too soon after the last one
    fit_tiny([ReleaseEarlierTrainings()])
    assert alive() is not None
    clock[0] += 0.02
    fit_tiny([ReleaseEarlierTrainings()])
    assert alive() is None
    assert ReleaseEarlierTrainings.last_end == clock[0]  # the collection is on record


# --------------------------------------------------------------- into a chapter's run folder


def run_folder(path):
    run = RunFolder(path, chapter="ch4_cnn", title="Chapter 4", order=["4F"], lock=True)
    run.begin("4F", replace=True)
    return run


def test_fit_callbacks_files_are_the_running_problems_before_fit_writes_them(tmp_path):
    run = run_folder(tmp_path)
    fit_callbacks(run, "cnn", checkpoint=True)
    # Recorded the moment they are handed out: a kill during fit leaves them owned.
    files = read_json(tmp_path / "summary.json")["files"]
    assert sorted(files["4F"]) == ["cnn.keras", "figures/cnn_curves.png", "histories/cnn.csv"]
    run.close()


def whole_png(data: bytes) -> bool:
    return data.startswith(PNG) and data.endswith(b"IEND\xaeB`\x82")


def test_a_curves_figure_that_fails_midway_leaves_every_file_whole(tmp_path, monkeypatch):
    """A failure point inside TrainingCurves' PNG write: the old PNG stays, nothing is half."""
    run = run_folder(tmp_path)
    x, y, xv, yv = blobs()
    model = tiny_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    fit = dict(epochs=1, batch_size=32, validation_data=(xv, yv), verbose=0)
    model.fit(x, y, callbacks=fit_callbacks(run, "cut", checkpoint=True), **fit)
    png = tmp_path / "figures" / "cut_curves.png"
    first = png.read_bytes()
    assert whole_png(first)

    real = Figure.savefig

    def half_then_full_disk(fig, target, **kwargs):
        buffer = io.BytesIO()
        real(fig, buffer, **kwargs)
        with open(target, "wb") as handle:  # half the PNG reaches the disk ...
            handle.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        raise OSError(28, "No space left on device")  # ... and then the disk is full

    monkeypatch.setattr(Figure, "savefig", half_then_full_disk)
    with pytest.raises(OSError, match="No space left"):
        callbacks = fit_callbacks(run, "cut", checkpoint=True)
        model.fit(x, y, callbacks=callbacks, **{**fit, "epochs": 2})
    assert png.read_bytes() == first  # the last whole drawing, not half of the new one
    hidden = [p.name for p in tmp_path.rglob(".*") if p.name != ".lock"]
    assert hidden == []  # no temporary left behind
    summary = read_json(tmp_path / "summary.json")  # parses
    assert set(summary["files"]["4F"]) >= {"figures/cut_curves.png", "histories/cut.csv"}
    for name in summary["files"]["4F"]:  # every file the problem owns is whole
        data = (tmp_path / name).read_bytes()
        if name.endswith(".png"):
            assert whole_png(data)
        if name.endswith(".csv"):
            assert len(pd.read_csv(tmp_path / name)) in (1, 2)  # epoch 2's CSV came first
        if name.endswith(".keras"):
            keras.models.load_model(tmp_path / name)
    run.close()


KILLED_MID_DRAWING = """
import io, os, signal, sys
from matplotlib.figure import Figure
from companion.callbacks import TrainingCurves
from companion.run.folder import RunFolder

run = RunFolder(sys.argv[1], chapter="ch4_cnn", title="Chapter 4", order=["4F"], lock=True)
run.begin("4F", replace=True)
curves = TrainingCurves(run.path_for("figures/cnn_curves.png"), title="cnn")
curves.rows = [{"epoch": 1, "loss": 1.0, "val_loss": 1.1}]
curves.draw()
real = Figure.savefig

def half_then_killed(fig, target, **kwargs):
    buffer = io.BytesIO()
    real(fig, buffer, **kwargs)
    with open(target, "wb") as handle:
        handle.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    os.kill(os.getpid(), signal.SIGKILL)

Figure.savefig = half_then_killed
curves.rows.append({"epoch": 2, "loss": 0.5, "val_loss": 0.6})
curves.draw()
"""


def test_a_curves_figure_killed_mid_write_leaves_the_last_whole_png(tmp_path):
    """kill -9 halfway through TrainingCurves' PNG: the last whole one stays; a rerun tidies."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, "-c", KILLED_MID_DRAWING, str(tmp_path)], env=env, capture_output=True
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    png = tmp_path / "figures" / "cnn_curves.png"
    assert whole_png(png.read_bytes())  # epoch 1's drawing, whole
    [half] = [p for p in (tmp_path / "figures").iterdir() if p.name.startswith(".")]
    assert not whole_png(half.read_bytes())  # the half-written one never took the name
    summary = read_json(tmp_path / "summary.json")
    assert summary["files"] == {"4F": ["figures/cnn_curves.png"]}
    RunFolder(tmp_path, chapter="ch4_cnn", title="Chapter 4", order=["4F"], lock=True).close()
    assert [p.name for p in (tmp_path / "figures").iterdir()] == ["cnn_curves.png"]
