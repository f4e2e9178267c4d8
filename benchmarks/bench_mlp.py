"""Epoch time of a chapter-3 model: through companion vs plain `model.fit`, in one run.

The companion path is the chapter's own `train_recipe` on its written-out net (budget check,
shifted batches, `compile` with steps_per_execution=8, `fit` with `fit_callbacks`' timer).
The plain path builds the same net and feeds it the same batches with a bare `compile` +
`fit` (steps_per_execution=1, no callbacks but a timer). Each is run `--repeats` times,
alternating, and the fastest steady-state epoch (the first, which traces, is dropped)
of each is kept. The last line printed is one JSON object: companion_s, keras_s (the
fastest steady epoch of each path) and ratio (= companion_s / keras_s, as in every
benchmark here: below 1 is faster).

    python benchmarks/bench_mlp.py                      # the shipped sample
    python benchmarks/bench_mlp.py --mnist mnist.npz --problem 3D --epochs 3
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

# Imported after the two lines above (TensorFlow quiet, this checkout first): hence E402.
import keras  # noqa: E402
import numpy as np  # noqa: E402

from chapters.ch3_depth_width import BUDGETS, CHOSEN, builder, train_recipe  # noqa: E402
from companion.augment import shifted_batches  # noqa: E402
from companion.data.mnist import load_mnist  # noqa: E402
from companion.seed import set_seed  # noqa: E402


def plain_epoch_seconds(data, recipe, build, *, epochs: int, seed: int) -> list[float]:
    """Epoch times of the same model and batches through a bare keras compile + fit."""
    set_seed(seed)
    model = build()
    steps = epochs * int(np.ceil(len(data.x_train) / recipe.batch_size))
    model.compile(
        optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(recipe.learning_rate, steps)
        ),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    batches = shifted_batches(
        data.x_train,
        keras.utils.to_categorical(data.y_train, 10),
        batch_size=recipe.batch_size,
        max_shift=recipe.max_shift,
        seed=seed,
    )
    times: list[float] = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    val = (data.x_val, keras.utils.to_categorical(data.y_val, 10))
    model.fit(batches, epochs=epochs, validation_data=val, callbacks=[Timer()], verbose=0)
    return times


def main(argv=None) -> int:
    """Time both paths and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, default=None, help="MNIST .npz (default: sample)")
    parser.add_argument("--problem", default="3C", choices=["3B", "3C", "3D"])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per fit (first dropped)")
    parser.add_argument("--repeats", type=int, default=2, help="fits per path, alternating")
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first epoch traces and is dropped)")

    data = load_mnist(args.mnist, flatten=True, sample=args.mnist is None)
    recipe = CHOSEN[args.problem]
    build = builder(recipe, args.problem)  # the chapter's written-out net
    companion, plain = [], []
    for repeat in range(args.repeats):
        budget = BUDGETS[args.problem]
        net = train_recipe(
            data, recipe, seed=repeat, budget=budget, epochs=args.epochs, test=False, build=build
        )
        companion.append(min(net.history["seconds"].iloc[1:]))
        plain.append(
            min(plain_epoch_seconds(data, recipe, build, epochs=args.epochs, seed=repeat)[1:])
        )
    result = {
        "problem": args.problem,
        "widths": list(recipe.widths),
        "train_images": len(data.x_train),
        "batch_size": recipe.batch_size,
        "companion_s": round(min(companion), 3),
        "keras_s": round(min(plain), 3),
        "ratio": round(min(companion) / min(plain), 3),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
