"""`make repro`'s first step: drop the entries of DVC's `.dvc/tmp/rwlock` left by a DVC process that died.

DVC records, per output and dependency, the pid and command of the DVC that holds it. A `dvc repro` killed
with SIGKILL leaves its entries behind; DVC drops such an entry only when a later command waits on that very
path, and a pid that the system has given to another process since reads as a live holder: "is busy, it is
being blocked by". An entry is dropped here only when its process no longer exists, or started after the
lock file was last written (so it cannot be the DVC that wrote it). A live DVC's entries are kept.
"""

import argparse
import sys
from pathlib import Path

import psutil
from dvc.fs import localfs
from dvc.rwlock import RWLOCK_FILE, _edit_rwlock

Holder = dict  # {"pid": int, "cmd": str}, as DVC writes it
CLOCK_MARGIN = 2.0  # seconds: a process's start time is known to about a second (the boot time's)


def is_stale(holder: Holder, written: float) -> bool:
    """True when the process that wrote `holder` (at or before `written`, a timestamp) has ended: its pid
    is free, or taken by a process that started after the write."""
    try:
        return psutil.Process(holder["pid"]).create_time() > written + CLOCK_MARGIN
    except psutil.NoSuchProcess:
        return True
    except psutil.AccessDenied:  # someone else's process: cannot tell, so it holds
        return False


def drop_stale(lock_dir: Path) -> list[Holder]:
    """Remove the stale entries of `lock_dir`'s rwlock under DVC's own guard; the holders removed."""
    path = Path(lock_dir) / RWLOCK_FILE
    if not path.exists():
        return []
    dropped: list[Holder] = []
    with _edit_rwlock(str(lock_dir), localfs, False) as lock:  # the guard and format DVC uses
        written = path.stat().st_mtime
        for mode in ("read", "write"):
            for locked, holders in list(lock[mode].items()):
                listed = holders if isinstance(holders, list) else [holders]
                kept = [holder for holder in listed if not is_stale(holder, written)]
                dropped += [holder for holder in listed if holder not in kept and holder not in dropped]
                if not kept:
                    del lock[mode][locked]
                elif mode == "read":
                    lock[mode][locked] = kept
    return dropped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dvc-dir", type=Path, default=Path(".dvc"), help="the repository's .dvc folder")
    args = parser.parse_args(argv)
    for holder in drop_stale(args.dvc_dir / "tmp"):
        print(f"stale DVC lock dropped: pid {holder['pid']} ({holder['cmd']}) has ended", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
