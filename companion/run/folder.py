"""The run folder: report.md, summary.json, config.json, sections/, figures/, histories/.

A run folder is the user's work. What this module promises:
- each problem is written the moment it finishes, summary.json last: every problem that
  summary.json lists has its section in report.md and its files;
- a rerun replaces exactly the problems it runs and keeps the others; `resume` also skips
  the finished ones; `fresh` moves the old folder aside (`<folder>.old-<time>`), never deletes;
- every file written here goes to a temporary file in the same folder and is renamed into
  place, so a process killed at any instant leaves each file old or new, never half-written;
- a folder of another chapter, of another layout or with a broken summary.json is refused
  with the way out, and nothing in it is changed;
- every file and folder a problem writes is handed out by the folder (`write_file`,
  `save_figure`, `save_table`; `path_for` and `folder_for` for what Keras or keras-tuner
  stream themselves) and recorded under the problem's id in summary.json ("files") the
  moment it is handed out, so a run killed mid-problem leaves its files owned; a rerun
  moves that problem's old folders aside (a keras-tuner project: keras-tuner's overwrite
  would delete it), drops its old figures and tables it did not redo, and touches no other
  problem's. Nothing is inferred from the disk (no scans, no time stamps).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from companion.errors import CompanionError
from companion.run.atomic import (
    read_json,
    replace_atomically,
    to_jsonable,
    write_json,
    write_text,
)
from companion.run.files import (
    CONFIG,
    FIGURES,
    HISTORIES,
    LAYOUT,
    REPORT,
    SECTIONS,
    SUMMARY,
    aside_path,
    inside,
    temporaries,
    tuner_projects,
)
from companion.run.lock import LOCK_NAME, FolderLock
from companion.run.report import PROVENANCE, report_text

# The folder's own bookkeeping: never handed out to a problem.
_BOOKKEEPING = (SUMMARY, CONFIG, REPORT, SECTIONS)


class RunFolder:
    """A chapter's output folder, written problem by problem.

    Args:
        path: the folder (created if needed).
        chapter: the chapter's module name, e.g. "ch4_cnn".
        title: the report's title.
        order: the problem ids in report order.
        resume: say that finished problems will be skipped (they are kept either way);
            only checked against `fresh`.
        fresh: move an existing run folder aside and start an empty one.
        lock: hold the folder's lock until `close()` (one writer per folder).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        chapter: str,
        title: str,
        order: Iterable[str],
        resume: bool = False,
        fresh: bool = False,
        lock: bool = False,
    ) -> None:
        if resume and fresh:
            raise CompanionError("--resume and --fresh contradict each other; pick one")
        self.path = Path(path)
        self.chapter, self.title, self.order = chapter, title, list(order)
        self.notes: list[str] = []  # one-line messages for the user
        self.moved_to: Path | None = None  # where `fresh` moved the old folder
        self._lock = FolderLock(self.path) if lock else None
        self._running: str | None = None
        self._replacing = False
        self._old_files: set[str] = set()
        self._written: set[str] = set()
        if self.path.exists() and not self.path.is_dir():
            raise CompanionError(
                f"--out {self.path} is a file, not a folder; choose a folder name "
                "(it is created if missing)"
            )
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            self._open(fresh)
        except BaseException:
            self.close()
            raise

    @property
    def figures(self) -> Path:
        return self.path / FIGURES

    @property
    def histories(self) -> Path:
        return self.path / HISTORIES

    @property
    def sections(self) -> Path:
        return self.path / SECTIONS

    @property
    def completed(self) -> set[str]:
        """Problem ids whose results are already written."""
        return set(self.summary["problems"])

    # ------------------------------------------------------------------ opening

    def _open(self, fresh: bool) -> None:
        if self._lock is not None:
            note = self._lock.acquire()
            if note:
                self.notes.append(note)
        if fresh and self._has_content():
            self._move_folder_aside()
        old = self._read_summary()
        self.config: dict[str, Any] = self._read(CONFIG) or {}
        for folder in (self.figures, self.histories, self.sections):
            folder.mkdir(exist_ok=True)
        self._legacy = old is not None and "layout" not in old
        self.summary: dict[str, Any] = old or {"problems": {}}
        # Key order: identity first, then results, then bookkeeping.
        self.summary = {
            "chapter": self.chapter,
            "title": self.title,
            "layout": LAYOUT,
            **{k: v for k, v in self.summary.items() if k not in ("chapter", "title", "layout")},
        }
        self.summary.setdefault("files", {})
        self.summary.setdefault("provenance", {})
        if self._lock is not None:  # only the folder's one writer may tidy it
            self._recover()

    def _has_content(self) -> bool:
        return any(entry.name != LOCK_NAME for entry in self.path.iterdir())

    def _move_folder_aside(self) -> None:
        if Path.cwd().resolve().is_relative_to(self.path.resolve()):
            raise CompanionError(
                f"--fresh cannot move {self.path} aside: it holds the current folder; "
                "give --out the run folder's own name"
            )
        if not (self.path / SUMMARY).exists():
            ours = {SUMMARY, CONFIG, REPORT, SECTIONS, FIGURES, HISTORIES, LOCK_NAME}
            strays = [e.name for e in self.path.iterdir() if e.name not in ours]
            if strays:
                raise CompanionError(
                    f"{self.path} is not a run folder (no summary.json; it holds {strays[0]!r}); "
                    "--fresh moves only run folders aside: choose another --out"
                )
        target = aside_path(self.path)
        self.path.rename(target)
        self.path.mkdir()
        if self._lock is not None:
            # Lock the new folder before letting go of the old one: never a gap.
            self._lock.moved(target)
            old_lock, self._lock = self._lock, FolderLock(self.path)
            self._lock.acquire()
            old_lock.release()
        self.moved_to = target
        self.notes.append(f"moved the earlier run folder aside to {target}")

    def _read(self, name: str) -> Any:
        path = self.path / name
        try:
            return read_json(path)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            reason = (
                f"not valid JSON ({error.msg}, line {error.lineno})"
                if isinstance(error, json.JSONDecodeError)
                else str(getattr(error, "strerror", None) or error)
            )
            raise CompanionError(
                f"{path} cannot be read: {reason}; nothing was changed: rerun with --fresh "
                "to move this folder aside and start a new one"
            ) from None

    def _read_summary(self) -> dict[str, Any] | None:
        old = self._read(SUMMARY)
        if old is None:
            return None
        path = self.path / SUMMARY
        way_out = "choose another --out, or --fresh to move this folder aside"
        if not isinstance(old, dict) or not isinstance(old.get("problems"), dict):
            raise CompanionError(f"{path} is not a companion run summary; {way_out}")
        if old.get("chapter") != self.chapter:
            # Writing into another chapter's folder would mix its answers into this report.
            raise CompanionError(
                f"{self.path} holds a run of {old.get('chapter')!r}, not {self.chapter!r}; "
                f"{way_out}"
            )
        layout = old.get("layout", 1)
        if layout not in (1, LAYOUT) or isinstance(layout, bool):
            raise CompanionError(
                f"{self.path} was written by another version of companion (layout {layout!r}; "
                f"this one reads 1 and {LAYOUT}); {way_out}"
            )
        return old

    def _recover(self) -> None:
        """Tidy after a run that was killed: its temporaries go; its files are already owned."""
        for folder in (self.path, self.figures, self.histories, self.sections):
            for tmp in temporaries(folder):
                tmp.unlink(missing_ok=True)
        running = self.summary.pop("running", None)
        if not isinstance(running, dict) or "problem" not in running:
            return
        # Handed out but never written (killed first): no longer listed.
        files, problem = self.summary["files"], running["problem"]
        kept = [u for u in files.get(problem, []) if (self.path / u).exists()]
        if kept:
            files[problem] = kept
        else:
            files.pop(problem, None)

    def _claimed(self, *, but: str | None = None) -> set[str]:
        return {u for p, units in self.summary["files"].items() if p != but for u in units}

    # ------------------------------------------------------------------ problems

    def begin(self, problem: str, *, replace: bool) -> list[str]:
        """Mark `problem` as running; return notes on what was moved aside.

        With `replace`, this run's answer replaces the earlier one: the earlier results
        stay listed until the problem writes its first file, and the problem's earlier
        folders (keras-tuner projects) are moved aside now, before anything reloads or
        deletes them. Without it (resume), they are left for the problem to continue.
        """
        files = self.summary["files"]
        self._running, self._replacing, self._written = problem, replace, set()
        self._old_files = set(files.get(problem, []))
        notes = []
        if replace:
            others = self._claimed(but=problem)
            folders = [u for u in self._old_files if u not in others and (self.path / u).is_dir()]
            if self._legacy:  # a folder from before files were recorded: its tuner projects
                folders += [u for u in tuner_projects(self.path) if u not in others]
            moved: list[str] = []
            for unit in sorted(set(folders)):
                if any(inside(unit, done) for done in moved):
                    continue  # went aside with the folder that holds it
                moved.append(unit)
                target = aside_path(self.path / unit)
                (self.path / unit).rename(target)
                notes.append(f"{problem}: moved its earlier {unit} aside to {target}")
            files[problem] = sorted(self._old_files - set(folders))
            self._old_files = set(files[problem])
        self.summary["running"] = {"problem": problem}
        write_json(self.path / SUMMARY, self.summary)
        return notes

    def _start_replacing(self) -> None:
        """The running problem writes: its earlier answer leaves summary.json, then report.md."""
        problem = self._running
        if problem is None or not self._replacing or problem not in self.summary["problems"]:
            return
        del self.summary["problems"][problem]
        self.summary["provenance"].pop(problem, None)
        write_json(self.path / SUMMARY, self.summary)
        self._write_report()

    def record(self, problem: str, title: str, markdown: str, results: Mapping) -> None:
        """Write one finished problem: its report section and its summary entry."""
        if problem == self._running:
            self._start_replacing()
        units, self._written = self._written, set()
        old = set(self.summary["files"].get(problem, []))
        stale: set[str] = set()
        if problem == self._running and self._replacing:
            # The earlier answer's figures and tables this one did not redo.
            others = self._claimed(but=problem)
            stale = {
                u
                for u in self._old_files - units - others
                if u.split("/")[0] in (FIGURES, HISTORIES) and (self.path / u).is_file()
            }
        body = f"## {problem}. {title}\n\n{markdown.strip()}\n"
        write_text(self.sections / f"{problem}.md", body)
        self.summary["problems"][problem] = to_jsonable(dict(results))
        self.summary["files"][problem] = sorted(
            u for u in (units | old) - stale if (self.path / u).exists()
        )
        self.summary["provenance"][problem] = {
            **{k: self.config[k] for k in PROVENANCE if k in self.config},
            "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        if problem == self._running:
            self.summary.pop("running", None)
            self._running = None
        # report.md before summary.json: whatever summary.json lists, the report shows.
        self._write_report()
        write_json(self.path / SUMMARY, self.summary)
        for unit in stale:
            (self.path / unit).unlink(missing_ok=True)

    # ------------------------------------------------------------------ outputs

    def write_config(self, config: Mapping[str, Any]) -> None:
        """Record every setting of the run (merged into config.json)."""
        self.config.update(to_jsonable(dict(config)))
        write_json(self.path / CONFIG, self.config)
        for key in ("seed", "quick", "data"):
            if key in self.config:
                self.summary[key] = self.config[key]
        self._write_report()
        write_json(self.path / SUMMARY, self.summary)

    def note_data(self, name: str, description: str) -> None:
        """Say which data a problem used; it goes to config.json and the report."""
        data = dict(self.config.get("data", {}))
        data[name] = description
        self.write_config({"data": data})

    # ------------------------------------------------------------------ files a problem writes

    def write_file(self, name: str, write: Callable[[Path], None]) -> str:
        """Write the running problem's file `name` whole: `write(tmp)`, then a rename.

        `name` is relative to the folder ("4F_cnn.keras", "figures/1A_fit.gif"); the
        temporary keeps its suffix, so `write` may be `model.save`. Returns `name`.
        """
        target = self.path_for(name)
        replace_atomically(target, write)
        return name

    def path_for(self, name: str) -> Path:
        """A file the running problem writes itself (a CSV a callback rewrites): now its own.

        Write it whole (`companion.run.atomic.replace_atomically`): the folder records
        it, and its parent folder exists, but does not write it.
        """
        target = self._claim(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def folder_for(self, name: str) -> Path:
        """A folder the running problem fills itself (a keras-tuner project): now its own.

        A rerun moves it aside whole, `--resume` leaves it to be continued. No other
        problem may own anything inside it or above it.
        """
        target = self._claim(name, folder=True)
        target.mkdir(parents=True, exist_ok=True)
        return target

    def _claim(self, name: str, *, folder: bool = False) -> Path:
        """Record `name` as the running problem's (in summary.json now); return its path."""
        relative = PurePosixPath(name)
        parts = relative.parts
        if not parts or relative.is_absolute() or ".." in parts or parts[0] in _BOOKKEEPING:
            raise ValueError(f"{name!r} is not a name a problem can write in a run folder")
        if any(p.startswith(".") for p in parts):
            raise ValueError(f"{name!r}: hidden names (locks, temporaries) are the folder's own")
        unit = relative.as_posix()
        for problem, units in self.summary["files"].items():
            # One problem's folder holding another's files: a rerun would move both aside.
            clash = [u for u in units if u != unit and (inside(u, unit) or inside(unit, u))]
            if problem != self._running and clash:
                raise ValueError(f"{unit!r} overlaps {clash[0]!r}, which {problem} owns")
        self._start_replacing()
        self._written.add(unit)
        if self._running is not None:
            owned = self.summary["files"].setdefault(self._running, [])
            if unit not in owned:  # recorded before it is written: a kill leaves it owned
                owned.append(unit)
                write_json(self.path / SUMMARY, self.summary)
        return self.path / unit

    def save_figure(self, fig: Any, name: str, *, dpi: int = 110) -> str:
        """Save a matplotlib figure as figures/<name>.png, close it, return its path."""
        import matplotlib.pyplot as plt  # only a run that saves figures loads it

        try:
            return self.write_file(
                f"{FIGURES}/{name}.png",
                lambda tmp: fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight"),
            )
        finally:
            plt.close(fig)

    def figure_md(self, fig: Any, name: str, caption: str) -> str:
        """Save a figure and return the markdown that embeds it."""
        return f"![{caption}]({self.save_figure(fig, name)})\n\n*{caption}*\n"

    def save_table(self, frame: Any, name: str) -> str:
        """Save a pandas DataFrame as histories/<name>.csv and return its path."""
        return self.write_file(
            f"{HISTORIES}/{name}.csv", lambda tmp: frame.to_csv(tmp, index=False)
        )

    def _write_report(self) -> None:
        text = report_text(self.title, self.order, self.config, self.summary, self.sections)
        write_text(self.path / REPORT, text)

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Let go of the folder's lock (if held)."""
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
