"""Time the Playground's sigmoid demo: companion's fast loop against plain `model.fit`.

One 4000-epoch run (250 training points, batch 10: 25 SGD steps an epoch) of chapter 1's
4-2 sigmoid net (`chapters.ch1_principles.playground_net`) on the circle data, from the
same start, through `fast_fit` (which also scores the train and test loss after every
epoch) and through
`model.fit(..., epochs=4000, shuffle=False)`. Both times include tracing. The last line
printed is one JSON object: companion_s, keras_s, ratio (companion_s / keras_s, as in every
benchmark here: below 1 is faster), both runs' final train and test losses, and whether the
targets (≤ 20 s, ratio ≤ 0.2, same losses) are met.

    python benchmarks/bench_playground.py            # the full 4000 epochs
    python benchmarks/bench_playground.py --epochs 200
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

TARGET_SECONDS, TARGET_RATIO, LOSS_TOLERANCE = 20.0, 0.2, 1e-5


def build(seed: int, activation: str):
    """The demo's net as chapter 1 writes it out (`playground_net`), from a fixed start."""
    from chapters.ch1_principles import playground_net

    return playground_net(activation, "playground", seed=seed)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4000, help="epochs per run (default 4000)")
    parser.add_argument("--activation", default="sigmoid", help="hidden activation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jit", action="store_true", help="also time fast_fit with XLA")
    args = parser.parse_args(argv)

    import keras
    import numpy as np

    from companion.data.playground import playground_dataset
    from companion.playground.fastfit import fast_fit
    from companion.probes import model_loss
    from companion.run.env import library_versions
    from companion.seed import set_seed

    set_seed(args.seed)
    data = playground_dataset("circle", 500, 0.0, seed=args.seed)
    x, y, xt, yt = data.x_train, data.y_train, data.x_test, data.y_test
    steps = int(np.ceil(len(x) / 10))
    print(
        f"{args.epochs} epochs x {steps} steps, {args.activation}, "
        f"backend {keras.backend.backend()}"
    )

    fast = build(args.seed, args.activation)
    start = time.perf_counter()
    history = fast_fit(fast, x, y, epochs=args.epochs, batch_size=10, validation_data=(xt, yt))
    companion_s = time.perf_counter() - start
    print(f"companion fast_fit: {companion_s:.1f} s", flush=True)

    plain = build(args.seed, args.activation)
    start = time.perf_counter()
    plain.fit(x, y, epochs=args.epochs, batch_size=10, shuffle=False, verbose=0)
    keras_s = time.perf_counter() - start
    print(f"keras model.fit:    {keras_s:.1f} s", flush=True)

    result = {
        "epochs": args.epochs,
        "steps_per_epoch": steps,
        "activation": args.activation,
        "companion_s": round(companion_s, 2),
        "keras_s": round(keras_s, 2),
        "ratio": round(companion_s / keras_s, 4),
        "companion_final_train_loss": float(history["loss"].iloc[-1]),
        "keras_final_train_loss": model_loss(plain, x, y),
        "companion_final_test_loss": float(history["val_loss"].iloc[-1]),
        "keras_final_test_loss": model_loss(plain, xt, yt),
        "max_weight_difference": max(
            float(np.abs(np.asarray(a) - np.asarray(b)).max())
            for a, b in zip(fast.weights, plain.weights)
        ),
    }
    if args.jit:
        jitted = build(args.seed, args.activation)
        start = time.perf_counter()
        jit_history = fast_fit(jitted, x, y, epochs=args.epochs, batch_size=10, jit_compile=True)
        result["companion_jit_s"] = round(time.perf_counter() - start, 2)
        result["companion_jit_final_train_loss"] = float(jit_history["loss"].iloc[-1])
    agree = all(
        abs(result[f"companion_final_{k}_loss"] - result[f"keras_final_{k}_loss"]) <= LOSS_TOLERANCE
        for k in ("train", "test")
    )
    result["losses_agree"] = agree
    result["meets_targets"] = bool(
        agree and companion_s <= TARGET_SECONDS and result["ratio"] <= TARGET_RATIO
    )
    result["versions"] = {
        k: v for k, v in library_versions().items() if k in ("keras", "tensorflow")
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
