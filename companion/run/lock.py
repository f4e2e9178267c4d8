"""One writer per run folder: a lock file in the folder that holds the writer's pid.

The lock itself is the operating system's file lock on that file (`fcntl.flock`, or
`msvcrt.locking` on Windows), so it dies with its process: a run killed with `kill -9`
leaves a stale file, never a held lock, and the next run takes the file over. The pid in
the file is only for the messages.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from companion.errors import CompanionError

LOCK_NAME = ".lock"

try:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

except ImportError:  # Windows (not exercised by the tests)
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 1 << 20, os.SEEK_SET)  # lock a byte past the pid so it stays readable
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True


def _read_pid(fd: int) -> int | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 64).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None


class FolderLock:
    """The lock on one run folder; `acquire` refuses a folder another live run holds.

    Args:
        folder: the run folder (must exist).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._fd: int | None = None

    @property
    def path(self) -> Path:
        return self.folder / LOCK_NAME

    def acquire(self) -> str | None:
        """Take the lock; return a note when a stale lock was taken over.

        Raises:
            CompanionError: another live process holds the folder.
        """
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if not _try_lock(fd):
                holder = _read_pid(fd)
                os.close(fd)
                who = f"process {holder}" if holder else "another process"
                raise CompanionError(
                    f"{self.folder} is in use by a run that is still going ({who}, lock file "
                    f"{self.path}); wait for it to finish or choose another --out"
                )
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the holder removed the file as we opened it: try the new one
        previous = _read_pid(fd)
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        if previous is not None and previous != os.getpid():
            return (
                f"took over the lock of {self.folder} left by process {previous}, "
                "which is no longer running"
            )
        return None

    def moved(self, folder: str | Path) -> None:
        """Say that the locked folder now lives at `folder` (it was renamed)."""
        self.folder = Path(folder)

    def release(self) -> None:
        """Remove the lock file and let go of the lock (safe to call twice)."""
        if self._fd is None:
            return
        # Unlink before unlocking: a waiter that opened the old file sees it is gone.
        with contextlib.suppress(OSError):  # Windows cannot remove an open file
            self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
