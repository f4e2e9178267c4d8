"""Seconds per epoch of chapter 4's CNN: through companion vs plain Keras, same run, same data.

The reference is keras-io's mnist_convnet style: a Sequential model, `model.fit` on numpy
arrays, batch 32, no callbacks. Both train the same architecture from the same seed; the
first epoch (tracing) is reported apart from the steady-state epochs.

With --shifted it also times 4F's shifted epoch beside the unshifted one: one model, trained
an epoch on `shifted_batches(max_shift=1)` then an epoch on `max_shift=0` (the order swapped
every round), so both see the same machine load; the first round (tracing) is left out.

Usage: python benchmarks/bench_cnn.py --mnist PATH/mnist.npz [--images 50000] [--epochs 3]
       [--shifted [--rounds 3]]
The last line printed is one JSON object: companion_s, keras_s, ratio (= companion_s /
keras_s, as in every benchmark here: below 1 is faster), then the accuracies; with --shifted
also shifted_s, unshifted_s, shift_ratio (= shifted_s / unshifted_s) and the same in this
process's CPU seconds (shifted_cpu_s, unshifted_cpu_s, shift_cpu_ratio).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def plain_keras(x, y, xv, yv, *, epochs: int, rate: float):
    """The reference: the same layers, compiled and fitted the textbook way."""
    from chapters.ch4_cnn import chapter_cnn, compile_cnn

    model = chapter_cnn(rate)
    compile_cnn(model, epochs * -(-len(x) // 32), steps_per_execution=1)
    times = []

    import keras

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    history = model.fit(
        x, y, batch_size=32, epochs=epochs, validation_data=(xv, yv), callbacks=[Clock()], verbose=0
    )
    return times, history.history["val_accuracy"][-1]


def through_companion(x, y, xv, yv, *, epochs: int, rate: float, out: Path):
    """The chapter's path: its compile (16 steps per call) and fit with companion's callbacks."""
    from chapters.ch4_cnn import chapter_cnn, compile_cnn
    from companion.plots import history_frame
    from companion.training import fit_callbacks

    model = chapter_cnn(rate)
    compile_cnn(model, epochs * -(-len(x) // 32))
    history = model.fit(
        x,
        y,
        batch_size=32,
        epochs=epochs,
        validation_data=(xv, yv),
        callbacks=fit_callbacks(out, "bench"),
        verbose=0,
    )
    frame = history_frame(history)
    return list(frame["seconds"]), float(frame["val_accuracy"].iloc[-1])


def shifted_vs_unshifted(x, y, *, rounds: int, rate: float) -> dict[str, float]:
    """Seconds per 4F epoch with and without shifts: the same model, interleaved epochs."""
    from chapters.ch4_cnn import chapter_cnn, compile_cnn
    from companion.augment import shifted_batches
    from companion.pset import CNN_BATCH_SIZE, CNN_MAX_SHIFT

    model = chapter_cnn(rate)
    compile_cnn(model, 2 * rounds * -(-len(x) // CNN_BATCH_SIZE))
    shifts = {"shifted": CNN_MAX_SHIFT, "unshifted": 0}
    batches = {
        name: shifted_batches(x, y, batch_size=CNN_BATCH_SIZE, max_shift=s, seed=0)
        for name, s in shifts.items()
    }
    # Wall seconds, and this process's CPU seconds (less moved by other programs' load).
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in shifts}
    for i in range(rounds + 1):
        # Swap the order every round: neither mode always runs first after a switch.
        for name in list(shifts)[:: 1 if i % 2 == 0 else -1]:
            start, cpu = time.perf_counter(), time.process_time()
            model.fit(batches[name], epochs=1, shuffle=False, verbose=0)
            if i > 0:  # round 0 traces both pipelines and the model
                times[name].append((time.perf_counter() - start, time.process_time() - cpu))
    for r, ((a, a_cpu), (b, b_cpu)) in enumerate(zip(times["shifted"], times["unshifted"]), 1):
        print(
            f"  round {r}: shifted {a:.2f} s, unshifted {b:.2f} s per epoch ({a / b:.3f}x); "
            f"CPU {a_cpu:.2f} s vs {b_cpu:.2f} s ({a_cpu / b_cpu:.3f}x)"
        )
    out = {}
    for name, pairs in times.items():
        out[f"{name}_s"] = sum(t for t, _ in pairs) / len(pairs)
        out[f"{name}_cpu_s"] = sum(c for _, c in pairs) / len(pairs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", default=os.environ.get("COMPANION_MNIST"))
    parser.add_argument("--images", type=int, default=50_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=0.1)
    parser.add_argument("--out", type=Path, default=Path("runs/bench_cnn"))
    parser.add_argument("--shifted", action="store_true", help="also time 4F's shifted epoch")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds with --shifted")
    args = parser.parse_args()

    from companion.data.mnist import load_mnist
    from companion.seed import set_seed
    from companion.training import one_hot

    data = load_mnist(args.mnist, sample=args.mnist is None)
    x, y = data.x_train[: args.images], one_hot(data.y_train[: args.images])
    xv, yv = data.x_val, one_hot(data.y_val)
    print(f"data: {data.description}; timing {len(x):,} images × {args.epochs} epochs")
    results = {}
    for name in ("keras", "companion"):
        set_seed(0)
        if name == "keras":
            times, acc = plain_keras(x, y, xv, yv, epochs=args.epochs, rate=args.rate)
        else:
            times, acc = through_companion(
                x, y, xv, yv, epochs=args.epochs, rate=args.rate, out=args.out
            )
        steady = times[1:] or times
        results[name] = {
            "first_epoch_s": times[0],
            "epoch_s": sum(steady) / len(steady),
            "val_accuracy": acc,
        }
        print(
            f"{name:>9}: first epoch {times[0]:.1f} s, then {results[name]['epoch_s']:.1f} s "
            f"per epoch; val accuracy {acc:.4f}"
        )
    shifts = {}
    if args.shifted:
        set_seed(0)
        shifts = shifted_vs_unshifted(x, y, rounds=args.rounds, rate=args.rate)
        shifts["shift_ratio"] = shifts["shifted_s"] / shifts["unshifted_s"]
        shifts["shift_cpu_ratio"] = shifts["shifted_cpu_s"] / shifts["unshifted_cpu_s"]
        print(
            f"  4F epoch: shifted {shifts['shifted_s']:.2f} s, unshifted "
            f"{shifts['unshifted_s']:.2f} s ({shifts['shift_ratio']:.3f}x; CPU "
            f"{shifts['shift_cpu_ratio']:.3f}x)"
        )
    companion_s, keras_s = results["companion"]["epoch_s"], results["keras"]["epoch_s"]
    print(
        json.dumps(
            {
                "companion_s": round(companion_s, 2),
                "keras_s": round(keras_s, 2),
                "ratio": round(companion_s / keras_s, 3),
                "images": len(x),
                "epochs": args.epochs,
                "companion_val_accuracy": round(results["companion"]["val_accuracy"], 4),
                "keras_val_accuracy": round(results["keras"]["val_accuracy"], 4),
                "data": data.source,
                **{k: round(v, 3) for k, v in shifts.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
