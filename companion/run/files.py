"""A run folder's layout on disk: its file names, temporaries, moving aside, old tuner projects.

What each problem owns is not read from the disk: the run folder records every file and
folder it hands out under the running problem's id (`RunFolder.path_for`, `folder_for`).
"""

from __future__ import annotations

import time
from pathlib import Path

# 2: summary.json has "layout", "files" and "provenance"; 1: the layout before it (no key).
LAYOUT = 2
SUMMARY, CONFIG, REPORT, SECTIONS = "summary.json", "config.json", "report.md", "sections"
FIGURES, HISTORIES = "figures", "histories"
ASIDE = ".old-"  # marks a folder moved aside: `R.old-20250101-120000`
# What a killed writer leaves: `.<name>.<pid>.tmp<suffix>` (and `.<name>.<pid>.tmp` of old).
TEMPORARIES = (".*.tmp", ".*.tmp.*")


def aside_path(path: Path) -> Path:
    """A free name beside `path` for moving it aside: `<name>.old-<YYYYmmdd-HHMMSS>`."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target, n = path.with_name(f"{path.name}{ASIDE}{stamp}"), 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}{ASIDE}{stamp}-{n}")
    return target


def temporaries(folder: Path) -> list[Path]:
    """The temporary files a killed writer left directly in `folder`."""
    return sorted({tmp for pattern in TEMPORARIES for tmp in folder.glob(pattern)})


def tuner_projects(root: Path) -> list[str]:
    """keras-tuner projects one level down (`tuning/4E_grid`), for folders of layout 1.

    Layout 1 recorded no owners; its projects are found by their `oracle.json`.
    """
    return sorted(
        f"{top.name}/{project.name}"
        for top in root.iterdir()
        if top.is_dir() and not _skipped(top.name)
        for project in top.iterdir()
        if not _skipped(project.name) and (project / "oracle.json").is_file()
    )


def inside(name: str, other: str) -> bool:
    """Whether the run-folder name `name` is `other` or lies inside it (`tuning/x` in `tuning`)."""
    return name == other or name.startswith(other.rstrip("/") + "/")


def _skipped(name: str) -> bool:
    return name.startswith(".") or ASIDE in name
