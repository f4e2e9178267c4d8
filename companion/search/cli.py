"""`python -m companion.search`: a keras-tuner search, in one process or many.

python -m companion.search cnn-4e --quick                  # one process
python -m companion.search cnn-4e --workers 2              # a chief and 2 local workers
python -m companion.search cnn --role chief --port 8470 --out /shared/s   # machine A
python -m companion.search --role worker --chief A:8470 --id 0 --out /shared/s  # B
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from companion.errors import CompanionError
from companion.run.files import aside_path

# The chapters' own: a parser whose errors are one line, TensorFlow's and absl's logs quiet.
from companion.run.runner import (
    _Parser,
    _quiet_backend,
    non_negative_int,
    positive_float,
    positive_int,
)
from companion.search.progress import format_values
from companion.search.settings import SPACES, SearchSettings, check_names, get_space, load_settings

PROG = "python -m companion.search"
PROJECT = "tuner"  # the keras-tuner project inside the search folder
QUICK = {"sample": True, "images": 1024, "val_images": 512, "epochs": 1, "max_trials": 4}
# Flags that set a SearchSettings field of the same name (default None: not given).
SETTING_FLAGS = ("hypermodel", "budget", "tuner", "max_trials", "max_grid", "epochs", "images")
SETTING_FLAGS += ("val_images", "batch_size", "seed", "mnist")


def build_parser() -> argparse.ArgumentParser:
    """The command's flags."""
    p = _Parser(prog=PROG, description="A keras-tuner search on MNIST, by one or many workers.")
    p.add_argument("space", nargs="?", help=f"a named space: {', '.join(SPACES)} (default cnn-4e)")
    p.add_argument("--hypermodel", metavar="MODULE:FUNCTION", help="your own build(hp) instead")
    count = {"type": positive_int, "metavar": "N"}
    p.add_argument("--budget", **count, help="hidden units (mlp-budget; default 200)")
    p.add_argument("--tuner", choices=("grid", "random", "hyperband", "bayesian"))
    p.add_argument("--max-trials", **count, help="trial budget (grid: all by default)")
    p.add_argument("--max-grid", **count, help="refuse larger grids (default 200)")
    p.add_argument("--epochs", **count, help="epochs per trial (default 1)")
    p.add_argument("--images", **count, help="train on the first N training images")
    p.add_argument("--val-images", **count, help="score on the first N validation images")
    p.add_argument("--batch-size", **count)
    p.add_argument("--flat", action="store_true", help="784-long rows (for --hypermodel MLPs)")
    p.add_argument("--mnist", type=Path, metavar="PATH", help="MNIST .npz or IDX folder")
    p.add_argument("--seed", type=non_negative_int, metavar="N", help="default 0")
    p.add_argument("--out", type=Path, metavar="DIR", help="default runs/search/<space>")
    p.add_argument("--resume", action="store_true", help="continue the search in --out")
    p.add_argument("--fresh", action="store_true", help="move --out's search aside, start again")
    p.add_argument("--quick", action="store_true", help="sample data, 1,024 images, 4 trials")
    p.add_argument("--workers", **count, default=0, help="local worker processes")
    p.add_argument("--threads", **count, help="TensorFlow threads per worker")
    roles = "local: here (default); chief: serve workers on --port; worker: ask --chief"
    p.add_argument("--role", choices=("local", "chief", "worker"), default="local", help=roles)
    p.add_argument("--port", **{**count, "metavar": "P"}, help="chief: the port workers use")
    p.add_argument("--chief", metavar="HOST:PORT", help="worker: the chief to ask for trials")
    p.add_argument("--id", type=non_negative_int, metavar="K", help="worker: its id is tunerK")
    wait = "worker: seconds to wait for the chief (default 600)"
    p.add_argument("--wait", type=positive_float, default=600.0, metavar="S", help=wait)
    p.add_argument("-v", "--verbose", action="store_true", help="log more (TensorFlow's too)")
    p.add_argument("--project", default=PROJECT, help=argparse.SUPPRESS)
    p.add_argument("--parent", type=int, help=argparse.SUPPRESS)
    return p


def add_workers_flag(parser: argparse.ArgumentParser) -> None:
    """Add `--workers N` to a chapter's flags (its keras-tuner searches use N workers)."""
    what = "run each keras-tuner search with N local worker processes (default 0: in-process)"
    parser.add_argument("--workers", type=non_negative_int, default=0, help=what)


def given_settings(args: argparse.Namespace) -> dict:
    """The settings the user set on the command line (flags left out are not here)."""
    given = {k: getattr(args, k) for k in SETTING_FLAGS if getattr(args, k) is not None}
    given |= {"mnist": str(args.mnist)} if args.mnist else {}
    given |= {"space": args.space} if args.space else {}
    given |= {"space": None} if args.hypermodel else {}
    given |= {"flat": True} if args.flat else {}
    if args.quick:
        given.update({k: v for k, v in QUICK.items() if k not in given})
        given["sample"] = args.mnist is None
    return given


def resolve_settings(args: argparse.Namespace, project_dir: Path) -> SearchSettings:
    """The stored settings when resuming, else the space's defaults; then the flags given."""
    given = given_settings(args)
    stored = load_settings(project_dir) if args.resume or args.role == "worker" else None
    if stored is not None:
        return stored.updated(**given)
    space = given.get("space", SearchSettings.space)  # None: the user's --hypermodel
    settings = SearchSettings(**{**(get_space(space).defaults if space else {}), **given})
    check_names(settings)
    return settings


def _check_roles(args: argparse.Namespace) -> None:
    if args.role == "worker" and (args.chief is None or args.id is None):
        raise CompanionError("--role worker needs --chief HOST:PORT and --id K")
    if args.role == "chief" and args.port is None:
        raise CompanionError("--role chief needs --port P (the port workers connect to)")
    if args.role == "local" and (args.port or args.chief or args.id is not None):
        raise CompanionError("--port, --chief and --id go with --role chief or --role worker")


def _watch_parent(pid: int) -> None:
    """Exit if the launcher that started this worker is gone (no orphans left waiting)."""

    def watch():
        while os.getppid() == pid:
            time.sleep(1)
        os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


def _move_aside(out: Path) -> None:
    """--fresh: the earlier search folder goes to `<out>.old-<time>`, never deleted."""
    if out.exists() and any(out.iterdir()):
        target = aside_path(out)
        out.rename(target)
        print(f"moved the earlier search aside to {target}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code (2: bad input, 130: interrupted)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_roles(args)
        _quiet_backend(args.verbose)
        if args.parent:
            _watch_parent(args.parent)
        out = args.out or Path("runs") / "search" / (args.space or "cnn-4e")
        if args.fresh and args.resume:
            raise CompanionError("--resume and --fresh contradict each other; pick one")
        if args.fresh and args.role != "worker":
            _move_aside(out)
        settings = resolve_settings(args, out / args.project)
        # After _quiet_backend: TensorFlow reads TF_CPP_MIN_LOG_LEVEL once, when it loads.
        from companion.search import distributed, run

        if args.role == "worker":
            return distributed.run_worker(
                settings,
                out / args.project,
                chief=args.chief,
                worker_id=args.id,
                threads=args.threads,
                wait=args.wait,
                given=given_settings(args),
            )
        return _search(args, settings, out, run)
    except CompanionError as error:  # a local worker's WorkerError says its own code
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return getattr(error, "exit_code", 2)
    except KeyboardInterrupt:  # a worker: the chief hands its trial back when it returns
        print("\ninterrupted: start this worker again with the same --id", file=sys.stderr)
        return 130


def _search(args, settings: SearchSettings, out: Path, run) -> int:
    print(f"search {settings.label} ({settings.tuner}) -> {out}", flush=True)
    try:
        search = run.run_search(
            settings,
            out / args.project,
            workers=args.workers,
            resume=args.resume,
            overwrite=args.fresh,
            port=args.port,
            host="0.0.0.0" if args.role == "chief" else "127.0.0.1",
            threads=args.threads,
        )
    except run.SearchInterrupted as stop:
        if stop.run is not None:
            run.write_report(stop.run, out, complete=False)
        print(
            f"\ninterrupted: finished trials are kept in {out}; rerun with --resume to continue",
            file=sys.stderr,
        )
        return 130
    summary = run.write_report(search, out, complete=True)
    best = summary["best"]
    if best:
        values = format_values(best["values"])
        print(f"best {settings.objective} {best['score']:.4f} ({values}); report in {out}")
    return 0
