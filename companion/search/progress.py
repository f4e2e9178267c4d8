"""One view of a search's progress, whichever process ran each trial: on a terminal a line
per finished trial and a status line below; elsewhere every event is one plain line."""

from __future__ import annotations

import math
import shutil
import sys
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class TrialEvent:
    """A trial started ("begin") or ended ("end") at the oracle."""

    kind: str
    trial_id: str
    worker: str = ""
    values: dict = field(default_factory=dict)
    status: str = ""
    score: float | None = None
    seconds: float | None = None
    best_score: float | None = None


def format_values(values: dict) -> str:
    """Hyperparameter values as 'name=value' pairs, numbers short."""
    return ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()
    )


def _score(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.4f}"


class Progress:
    """Prints trial events as 'trial k of N … score … best so far'.

    `total` is the trial budget (None if the tuner does not know it, e.g. hyperband); `done`
    the trials already finished; `live` keeps a status line at the bottom (default: when
    `stream`, default stdout, is a terminal).
    """

    def __init__(
        self,
        total: int | None,
        *,
        done: int = 0,
        objective: str = "val_accuracy",
        stream: TextIO | None = None,
        live: bool | None = None,
    ) -> None:
        self.total, self.done, self.objective = total, done, objective
        self.stream = stream or sys.stdout
        self.live = getattr(self.stream, "isatty", bool)() if live is None else live
        self.running: dict[str, str] = {}  # trial id -> worker
        self.best: float | None = None
        self._status_shown = False

    def __call__(self, event: TrialEvent) -> None:
        """Show one event."""
        values = format_values(event.values)
        if event.kind == "begin":
            self.running[event.trial_id] = event.worker
            if not self.live:
                where = event.worker or "this process"
                self._line(f"trial {event.trial_id} started on {where}: {values}")
        else:
            self.running.pop(event.trial_id, None)
            self.done += 1
            self.best = self.best if event.best_score is None else event.best_score
            of = f" of {self.total}" if self.total else ""
            seconds = f", {event.seconds:.1f} s" if event.seconds is not None else ""
            where = f" on {event.worker}" if event.worker else ""
            state = "" if event.status == "COMPLETED" else f" {event.status}"
            self._line(
                f"trial {self.done}{of} (id {event.trial_id}{where}{seconds}){state}: {values} "
                f"-> {self.objective} {_score(event.score)}, best so far {_score(self.best)}"
            )
        self._status()

    def note(self, text: str) -> None:
        """A line that is not a trial event (a worker restarted, the search stopped)."""
        self._line(text)
        self._status()

    def close(self) -> None:
        """Clear the status line."""
        if self._status_shown:
            self.stream.write("\r\033[K")
            self._status_shown = False

    def _line(self, text: str) -> None:
        self.close()
        print(text, file=self.stream, flush=True)

    def _status(self) -> None:
        if not self.live:
            return
        of = f"/{self.total}" if self.total else ""
        running = ", ".join(f"{t} on {w}" if w else t for t, w in sorted(self.running.items()))
        text = f"[{self.done}{of} done, best {_score(self.best)}"
        text += f"; running {running}]" if running else "]"
        width = shutil.get_terminal_size().columns - 1  # a wrapped line cannot be redrawn
        self.close()
        self.stream.write(text[:width])
        self.stream.flush()
        self._status_shown = True
