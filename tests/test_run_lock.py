"""One writer per run folder: the lock file, a live holder, a stale one."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from companion.errors import CompanionError
from companion.run.lock import FolderLock

ROOT = Path(__file__).resolve().parents[1]


def test_the_lock_file_holds_the_pid_and_goes_on_release(tmp_path):
    lock = FolderLock(tmp_path)
    assert lock.acquire() is None
    assert (tmp_path / ".lock").read_text() == f"{os.getpid()}\n"
    lock.release()
    lock.release()  # twice is harmless
    assert not (tmp_path / ".lock").exists()


def test_a_second_holder_is_refused_while_the_first_holds(tmp_path):
    with FolderLock(tmp_path):
        # A second lock on the same folder conflicts even within one process.
        with pytest.raises(CompanionError) as error:
            FolderLock(tmp_path).acquire()
        assert str(error.value) == (
            f"{tmp_path} is in use by a run that is still going (process {os.getpid()}, "
            f"lock file {tmp_path / '.lock'}); wait for it to finish or choose another --out"
        )
        assert (tmp_path / ".lock").read_text() == f"{os.getpid()}\n"  # untouched
    with FolderLock(tmp_path):  # free again
        pass


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from companion.run.lock import FolderLock\n"
            f"FolderLock({str(tmp_path)!r}).acquire()\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(CompanionError, match=f"process {holder.pid}"):
        FolderLock(tmp_path).acquire()  # alive: refused
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    holder.stdout.close()
    assert (tmp_path / ".lock").read_text() == f"{holder.pid}\n"  # the stale file stays
    lock = FolderLock(tmp_path)
    note = lock.acquire()
    assert str(tmp_path) in note and f"process {holder.pid}" in note  # whose lock it took
    assert (tmp_path / ".lock").read_text() == f"{os.getpid()}\n"
    lock.release()
