"""A run folder's layout on disk: its file names, what each problem owns, moving aside.

A problem owns "units": a top-level file, or an entry one level inside a folder
(`figures/1A_curves.png`, `tuner/4E_grid`). `scan` fingerprints every unit, so the run
folder can tell which units a problem wrote by comparing scans before and after it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path, PurePosixPath

# 2: summary.json has "layout", "files" and "provenance"; 1: the layout before it (no key).
LAYOUT = 2
SUMMARY, CONFIG, REPORT, SECTIONS = "summary.json", "config.json", "report.md", "sections"
FIGURES, HISTORIES = "figures", "histories"
ASIDE = ".old-"  # marks a folder moved aside: `R.old-20250101-120000`


def aside_path(path: Path) -> Path:
    """A free name beside `path` for moving it aside: `<name>.old-<YYYYmmdd-HHMMSS>`."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target, n = path.with_name(f"{path.name}{ASIDE}{stamp}"), 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}{ASIDE}{stamp}-{n}")
    return target


def unit_of(relative: PurePosixPath) -> str:
    """What a problem owns: a top-level file, or an entry one level inside a folder."""
    return "/".join(relative.parts[:2])


def scan(root: Path) -> dict[str, tuple[int, int, int]]:
    """Each unit of the folder's outputs: (file count, total bytes, newest mtime in ns)."""
    units: dict[str, tuple[int, int, int]] = {}
    for folder, dirs, files in os.walk(root):
        here = PurePosixPath(Path(folder).relative_to(root).as_posix())
        # Our bookkeeping, hidden files (locks, temporaries) and folders moved aside.
        dirs[:] = [d for d in dirs if not _skipped(here / d)]
        # Folders below the top count too: a file added or removed changes their mtime.
        entries = [*files, *(dirs if here.parts else [])]
        for name in entries:
            relative = here / name
            if _skipped(relative):
                continue
            try:
                stat = os.stat(Path(folder) / name)
            except FileNotFoundError:
                continue
            is_file = name in files
            count, size, newest = units.get(unit_of(relative), (0, 0, 0))
            units[unit_of(relative)] = (
                count + is_file,
                size + (stat.st_size if is_file else 0),
                max(newest, stat.st_mtime_ns),
            )
    return units


def _skipped(relative: PurePosixPath) -> bool:
    parts = relative.parts
    if len(parts) == 1 and parts[0] in (SUMMARY, CONFIG, REPORT, SECTIONS):
        return True
    return any(p.startswith(".") or ASIDE in p for p in parts)
