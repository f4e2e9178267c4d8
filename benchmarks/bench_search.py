"""Wall time of one 8-trial search run by 1 worker (all cores) and by 2 workers (half each).

Both runs are `python -m companion.search` end to end (chief, workers, report), same space,
same seed, same data: the 4E space (small CNN, learning rate × dropout), its first 8 grid
points, each trial 1 epoch on the first `--images` training images.

Usage: python benchmarks/bench_search.py [--mnist PATH/mnist.npz] [--images 4096]
The last line printed is one JSON object with the fields every benchmark here ends with:
companion_s (the search over two workers, what companion adds), keras_s (the baseline:
one worker running the trials one after another, as a plain keras-tuner search does) and
ratio (= companion_s / keras_s: below 1 is faster). Then best_agrees (both found the same
best values), the load average around each run (other programs on the machine make the
figure noisy: on a busy machine more processes also win a larger share of the cores), and
the CPU seconds each search used, which load changes much less.

The two runs give each trial a different number of TensorFlow threads, and TensorFlow's
CPU kernels then sum in another order: a trial's score moves (by points at high learning
rates after 1 epoch), so a near tie for the best can fall the other way; max_score_diff
says by how much the trials differed. With equal `--threads` the scores are identical.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the launcher waits its workers
    return usage.ru_utime + usage.ru_stime


def search(workers: int, threads: int, args: argparse.Namespace) -> dict:
    """Run the search once; its wall seconds, best values and per-trial seconds."""
    out = args.out / f"{workers}_workers"
    command = [sys.executable, "-m", "companion.search", "cnn-4e", "--tuner", "grid"]
    command += ["--max-trials", str(args.trials), "--images", str(args.images)]
    command += ["--epochs", "1", "--seed", "0", "--out", str(out), "--fresh"]
    command += ["--workers", str(workers), "--threads", str(threads)]
    if args.mnist:
        command += ["--mnist", str(args.mnist)]
    else:
        command += ["--quick", "--val-images", "1333"]  # the shipped sample, all of its val
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
    load_before = os.getloadavg()[0]
    cpu_before = _children_cpu()
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, timeout=3600)
    seconds = time.perf_counter() - start
    summary = json.loads((out / "summary.json").read_text())
    frame = pd.read_csv(out / "trials.csv").sort_values("trial_id")
    return {
        "scores": frame["score"].to_numpy(),
        "wall_s": seconds,
        "cpu_s": _children_cpu() - cpu_before,  # every process of the search, all cores
        "best": summary["best"]["values"],
        "best_score": summary["best"]["score"],
        "trial_s": summary["seconds"]["trials"],
        "trials": summary["trials"],
        "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", default=os.environ.get("COMPANION_MNIST"))
    parser.add_argument("--images", type=int, default=4096)
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path("runs/bench_search"))
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    print(f"{cores} cores; {args.trials} trials of cnn-4e, {args.images:,} images, 1 epoch each")
    results = {}
    for workers in (1, 2):
        results[workers] = r = search(workers, max(1, cores // workers), args)
        print(
            f"{workers} worker(s): {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU, "
            f"{r['trial_s']:.1f} s in trials; "
            f"best {r['best_score']:.4f} at {r['best']}; load average {r['load']}"
        )
    one, two = results[1]["wall_s"], results[2]["wall_s"]
    print(
        json.dumps(
            {
                "companion_s": round(two, 1),
                "keras_s": round(one, 1),
                "ratio": round(two / one, 3),
                "one_worker_cpu_s": round(results[1]["cpu_s"], 1),
                "two_workers_cpu_s": round(results[2]["cpu_s"], 1),
                "best_agrees": results[1]["best"] == results[2]["best"],
                "max_score_diff": round(
                    float(abs(results[1]["scores"] - results[2]["scores"]).max()), 4
                ),
                "cores": cores,
                "trials": args.trials,
                "images": args.images,
                "load_one": results[1]["load"],
                "load_two": results[2]["load"],
                "data": "mnist" if args.mnist else "sample",
            }
        )
    )


if __name__ == "__main__":
    main()
