"""The shared chapter command line: flags, problem selection, seeding, the run folder.

A chapter lists its problems as `Problem`s and calls `run_chapter`. Every problem is
seeded from `--seed` and its own id, so `--only 4F` reproduces the 4F of a whole run.
A problem writes every file through `ctx.folder` (`save_figure`, `save_table`,
`write_file`; `path_for` and `folder_for` for what Keras or keras-tuner write themselves),
which records it as the problem's own.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from companion.data.mnist import load_mnist
from companion.errors import CompanionError
from companion.run import progress
from companion.run.env import library_versions, quiet_tensorflow_startup
from companion.run.folder import RunFolder
from companion.seed import derive_seed, seed_for, set_seed


@dataclass
class Section:
    """What a problem hands back: report text, summary results, a one-line headline."""

    markdown: str
    results: dict[str, Any]
    headline: str = ""


@dataclass
class Problem:
    """One problem of a chapter: its id, its title and the function that answers it.

    `solve` is the function, or its address "package.module:function", imported only when
    the problem runs: a chapter's package lists its problems without loading Keras.
    """

    id: str
    title: str
    solve: Callable[[Context], Section] | str

    def solver(self) -> Callable[[Context], Section]:
        """The function that answers the problem (its module imported on first use)."""
        if callable(self.solve):
            return self.solve
        module, _, name = self.solve.partition(":")
        return getattr(importlib.import_module(module), name)


@dataclass
class Context:
    """What a problem gets: the parsed flags, the run folder and a per-process cache."""

    args: argparse.Namespace
    folder: Any  # RunFolder; typed loosely so this module stays import-light
    cache: dict[str, Any] = field(default_factory=dict)
    problem: str = ""  # the id of the problem now running (set by the runner)

    @property
    def quick(self) -> bool:
        return bool(self.args.quick)

    @property
    def seed(self) -> int:
        return int(self.args.seed)

    def seed_for(self, part: str, *, problem: str | None = None) -> int:
        """The seed of one stochastic part of the running problem (e.g. "final").

        Derived from the base seed, the problem id and `part` only, so a problem gives
        the same numbers whether it runs alone (`--only`) or after others. `problem`
        names another problem's part: a later problem that reuses what an earlier one
        made (the same cases, the same split) asks for the seed its owner used.
        """
        return seed_for(problem or self.problem, part, self.seed)

    def mnist(self, *, flatten: bool = False, quick_sizes: dict[str, int] | None = None):
        """MNIST for this run, loaded once per process and noted in the run folder.

        `--mnist PATH` (or $COMPANION_MNIST) names the file; `--quick` without one uses
        the shipped sample, and with one keeps the first `quick_sizes[split]` images.
        """

        def load():
            path = getattr(self.args, "mnist", None)
            data = load_mnist(path, sample=self.quick and path is None)
            note = ""
            if self.quick and quick_sizes and not data.is_sample:
                data = data.subset(**quick_sizes)
                sizes = ", ".join(f"{n:,} {split}" for split, n in quick_sizes.items())
                note = f" (--quick: the first {sizes})"
            self.folder.note_data("mnist", data.description + note)
            return data

        data = self.cached("mnist", load)
        return self.cached("mnist-flat", data.flat) if flatten else data

    def epochs(self, default: int) -> int:
        """The `--epochs` override, or the problem's own default."""
        return self.args.epochs if self.args.epochs is not None else default

    def cached(self, key: str, load: Callable[[], Any]) -> Any:
        """Load a thing once per process (data sets, trained models)."""
        if key not in self.cache:
            self.cache[key] = load()
        return self.cache[key]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + message
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text: str) -> int:
    """An argparse type for counts that must be at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """An argparse type for amounts that must be above 0 (ratios, rates)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """An argparse type for seeds."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def build_parser(
    chapter: str, description: str, problems: Sequence[Problem], *, uses_mnist: bool
) -> argparse.ArgumentParser:
    """The flags every chapter shares (plus --mnist where it uses MNIST)."""
    ids = ", ".join(p.id for p in problems)
    parser = _Parser(prog=f"python -m chapters.{chapter}", description=description)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("runs") / chapter,
        help=f"run folder (default: runs/{chapter})",
    )
    parser.add_argument("--seed", type=non_negative_int, default=0, help="base seed (default 0)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="every problem, small data and short training (about a minute)",
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=None,
        help="override each problem's number of training epochs",
    )
    parser.add_argument("--only", default=None, help=f"comma-separated problem ids among: {ids}")
    again = parser.add_mutually_exclusive_group()
    again.add_argument(
        "--resume",
        action="store_true",
        help="skip problems --out already finished and continue interrupted searches",
    )
    again.add_argument(
        "--fresh",
        action="store_true",
        help="move an existing --out aside (to <out>.old-<time>) and start an empty one "
        "(without it, a rerun replaces the problems it runs and keeps the others)",
    )
    talk = parser.add_mutually_exclusive_group()
    talk.add_argument(
        "-v", "--verbose", action="store_true", help="also log details (and TensorFlow's own)"
    )
    talk.add_argument(
        "-q", "--quiet", action="store_true", help="print only the problem lines (no progress)"
    )
    if uses_mnist:
        parser.add_argument(
            "--mnist",
            type=Path,
            default=None,
            help="MNIST .npz (Keras layout) or folder of IDX files; also $COMPANION_MNIST",
        )
    return parser


def select_problems(problems: Sequence[Problem], only: str | None) -> list[Problem]:
    """The problems named by --only (case-insensitive), in chapter order."""
    if not only:
        return list(problems)
    wanted = [w.strip().upper() for w in only.split(",") if w.strip()]
    known = {p.id.upper() for p in problems}
    unknown = [w for w in wanted if w not in known]
    if unknown or not wanted:
        raise CompanionError(
            f"unknown problem id {', '.join(unknown) or repr(only)} in --only; "
            f"choose among {', '.join(p.id for p in problems)}"
        )
    return [p for p in problems if p.id.upper() in wanted]


def use_headless_backend() -> None:
    """Draw figures to files only (matplotlib's Agg): for a chapter's command line.

    Called by `python -m chapters.<name>` before it runs; the library itself never changes
    the backend, so a chapter run inside a notebook leaves the notebook's as it was.
    """
    import matplotlib

    matplotlib.use("Agg")


def _quiet_backend(verbose: bool) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2" if not verbose else "1")
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in ("absl", "tensorflow"):  # retracing notes etc. are not for students
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.ERROR)
    if not verbose:
        # Bayesian optimisation's Gaussian process (scikit-learn) warns when a length scale
        # reaches its bound: expected on a 2-parameter grid, and nothing a student can act on.
        warnings.filterwarnings("ignore", message="The optimal value found for dimension")


def _start_output(args: argparse.Namespace) -> None:
    """Load TensorFlow without its start-up lines (unless -v); show progress (unless -q)."""
    if not args.verbose:  # with -v, TensorFlow's own start-up lines are wanted
        quiet_tensorflow_startup()
    if args.quiet:
        progress.detach()
    else:
        progress.attach()


def _say(args: argparse.Namespace, line: str) -> None:
    """A line of the chapter's own output (the header, the report path): not under -q."""
    if not args.quiet:
        print(line, flush=True)


def run_chapter(
    chapter: str,
    title: str,
    problems: Sequence[Problem],
    argv: Sequence[str] | None = None,
    *,
    description: str = "",
    uses_mnist: bool = False,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
    config: dict[str, Any] | None = None,
) -> int:
    """Parse flags, run the chosen problems, write the run folder; return an exit code."""
    parser = build_parser(chapter, description or title, problems, uses_mnist=uses_mnist)
    if add_arguments:
        add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        chosen = select_problems(problems, args.only)
        _quiet_backend(args.verbose)
        _start_output(args)
        return _run(chapter, title, problems, chosen, args, config or {})
    except CompanionError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: finished problems are in {args.out}; rerun with --resume to continue",
            file=sys.stderr,
        )
        return 130


def _run(chapter, title, problems, chosen, args, config) -> int:
    try:
        run = RunFolder(
            args.out,
            chapter=chapter,
            title=title,
            order=[p.id for p in problems],
            resume=args.resume,
            fresh=getattr(args, "fresh", False),
            lock=True,
        )
    except OSError as error:
        raise _folder_error(error, args.out, opening=True) from None
    try:
        return _run_problems(run, title, chosen, args, config)
    except OSError as error:
        converted = _folder_error(error, args.out)
        if converted is None:
            raise  # not a folder problem: a bug, keep its traceback
        raise converted from None
    finally:
        run.close()


def _run_problems(run, title, chosen, args, config) -> int:
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    run.write_config(
        {
            "chapter": run.chapter,
            "seed": args.seed,
            "quick": args.quick,
            "settings": settings,
            "versions": library_versions(),
            **config,
        }
    )
    ctx = Context(args=args, folder=run)
    shown = progress.handler()
    _say(args, f"{title} -> {args.out}")
    for note in run.notes:
        print(f"  {note}")
    ids = {p.id for p in chosen}
    kept = [p for p in run.order if p in run.completed and p not in ids]
    if kept:
        print(f"  keeping {', '.join(kept)} from the earlier run (--fresh starts an empty folder)")
    for problem in chosen:
        if args.resume and problem.id in run.completed:
            print(f"  {problem.id:<6} already done (kept from the earlier run)")
            continue
        for note in run.begin(problem.id, replace=not args.resume):
            print(f"  {note}")
        ctx.problem = problem.id
        set_seed(derive_seed(args.seed, problem.id))
        if shown is not None:
            shown.prefix = f"  {problem.id:<6} "
        start = time.perf_counter()
        section = problem.solver()(ctx)
        seconds = time.perf_counter() - start
        if shown is not None:
            shown.end_line()
        run.record(
            problem.id,
            problem.title,
            section.markdown,
            {**section.results, "seconds": round(seconds, 2)},
        )
        print(f"  {problem.id:<6} {section.headline}  ({seconds:.1f} s)", flush=True)
    _say(args, f"report: {args.out / 'report.md'}")
    return 0


_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


def _folder_error(error: OSError, out: Path, *, opening: bool = False) -> CompanionError | None:
    """A one-line error for a folder that cannot be written; None for other OS errors."""
    where = error.filename or out
    reason = error.strerror or str(error)
    if error.errno in _FULL:
        return CompanionError(
            f"cannot write {where}: {reason}; the problems finished before it are kept in "
            f"{out}: free some space, then rerun with --resume"
        )
    if error.errno in _DENIED:
        return CompanionError(
            f"cannot write {where}: {reason}; fix its permissions or choose another --out"
        )
    if opening:
        return CompanionError(f"cannot use {out} as the run folder ({where}: {reason})")
    return None
