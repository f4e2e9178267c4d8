"""Progress of long work, through logging: per epoch for training, per trial for searches.

The library only logs, on the logger "companion.run.progress"; whoever runs it decides how that
looks. The chapters' command line attaches `ProgressHandler`: on a terminal, a line redrawn
in place while an epoch runs and kept when the epoch ends; anywhere else (CI, logs,
`> file`, a notebook's stderr), one plain line per finished epoch and no redraws. With no
handler attached (a script or notebook of the user's own), nothing is added to `fit` at all.
"""

from __future__ import annotations

import logging
import shutil
import sys
from typing import Any, TextIO

LOG = logging.getLogger("companion.run.progress")

# Training shorter than this shows nothing: a line per epoch of a 1-second fit is noise.
MIN_SECONDS = 3.0
REDRAW_SECONDS = 0.5


class ProgressHandler(logging.Handler):
    """Writes progress records: redrawn in place on a terminal, plain lines elsewhere.

    Args:
        stream: where to write (default: sys.stderr).
        live: redraw lines in place; None asks the stream whether it is a terminal.
    """

    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None) -> None:
        super().__init__(logging.INFO)
        self.stream = stream or sys.stderr
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.live = bool(isatty()) if live is None else live
        self.prefix = ""
        self._open = 0  # width of a redrawn line still on screen (0: none)

    def emit(self, record: logging.LogRecord) -> None:
        redraw = getattr(record, "redraw", False)
        if redraw and not self.live:
            return
        text = f"{self.prefix}{record.getMessage()}"
        try:
            if self.live:
                width = max(20, shutil.get_terminal_size((100, 20)).columns - 1)
                text = text[:width]
                pad = " " * max(0, self._open - len(text))
                self.stream.write(f"\r{text}{pad}" + ("" if redraw else "\n"))
                self._open = len(text) if redraw else 0
            else:
                self.stream.write(text + "\n")
            self.stream.flush()
        except Exception:  # progress must never break the work it reports on
            self.handleError(record)

    def end_line(self) -> None:
        """Finish a redrawn line, so that other output starts on a line of its own."""
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = 0


def attach(stream: TextIO | None = None, *, live: bool | None = None) -> ProgressHandler:
    """Show progress on `stream` (replacing any handler attached before); return the handler."""
    detach()
    handler = ProgressHandler(stream, live=live)
    LOG.addHandler(handler)
    LOG.setLevel(logging.INFO)
    LOG.propagate = False  # progress is not a log message: keep it out of -v's log format
    return handler


def detach() -> None:
    """Stop showing progress (removes the handlers `attach` added)."""
    for handler in [h for h in LOG.handlers if isinstance(h, ProgressHandler)]:
        handler.end_line()
        LOG.removeHandler(handler)


def handler() -> ProgressHandler | None:
    """The attached progress handler, or None when progress is not shown."""
    return next((h for h in LOG.handlers if isinstance(h, ProgressHandler)), None)


def duration(seconds: float) -> str:
    """'42 s', '3 min 05 s', '1 h 02 min': short enough for a progress line."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def metrics_text(logs: dict[str, Any] | None) -> str:
    shown = []
    order = {name: i for i, name in enumerate(logs or {})}
    # loss first, then the other metrics; validation after training, as Keras prints them
    for name in sorted(
        order, key=lambda n: (n.startswith("val_"), not n.endswith("loss"), order[n])
    ):
        value = logs[name]
        if name == "seconds" or name.startswith("learning_rate"):
            continue
        try:
            shown.append(f"{name} {float(value):.4f}")
        except (TypeError, ValueError):
            continue
    return "  ".join(shown)


def trial_done(
    number: int, total: int | None, values: dict[str, Any], score: float | None, best: float | None
) -> None:
    """Log one finished search trial: trial k of N, its values, its score, the best so far."""
    if handler() is None:
        return
    shown = "  ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()
    )
    of = f"/{total}" if total else ""
    score_text = "failed" if score is None else f"{score:.4f}"
    best_text = "" if best is None else f"  (best so far {best:.4f})"
    LOG.info(f"trial {number}{of}  {shown}  score {score_text}{best_text}")
