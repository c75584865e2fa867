"""cgs-restore CONFIG --from DIR: put a cgs-backup back (stop every app process first).

* **FileStorage**: ``repozo -R`` (the newest backup, or the one in force at ``--date``) into
  the ini's Data.fs (or ``--data-fs`` on a ZEO server), then the blob snapshot taken right
  after that backup into the blob folder, then ``fstest`` and ``fsrefs`` on the result.
  It refuses to overwrite an existing Data.fs or a non-empty blob folder unless ``--force``
  (which moves them aside as ``*.before-restore-<stamp>``).
* **RelStorage on PostgreSQL**: ``pg_restore --clean --if-exists`` of the newest dump (or the
  newest at or before ``--date``) into the configured database, large objects included.

After a restore, clear the ZEO/RelStorage clients' blob caches (``blob_dir``) and restart
the app processes: their caches describe the database before the restore.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .backup import parse_command, repozo, stamp_now


def chosen_stamp(folder: Path, date: str | None) -> str:
    """The newest stamp in ``folder`` at or before ``date`` (``YYYY-MM-DD-HH-MM-SS``, UTC)."""
    stamps = sorted({entry.name[:19] for entry in folder.iterdir() if entry.name[:4].isdigit()}
                    ) if folder.is_dir() else []
    if date:
        stamps = [s for s in stamps if s <= date]
    if not stamps:
        raise SystemExit(f"cgs-restore: no backup in {folder}" + (f" at or before {date}" if date else ""))
    return stamps[-1]


def move_aside(path: Path) -> None:
    if path.exists():
        path.rename(path.with_name(f"{path.name}.before-restore-{stamp_now()}"))


def verify_filestorage(data_fs: Path) -> list[str]:
    """``fstest`` (the file's structure) and ``fsrefs`` (no dangling reference) on ``data_fs``."""
    lines = []
    for script in ("fstest", "fsrefs"):
        result = subprocess.run([sys.executable, "-m", f"ZODB.scripts.{script}", str(data_fs)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # a stale index (copied from a live server) is rebuilt, not a problem
        output = "\n".join(line for line in result.stdout.splitlines()
                           if line.strip() and not line.startswith("Ignoring index for"))
        if result.returncode != 0 or (script == "fsrefs" and output):
            raise SystemExit(f"cgs-restore: {script} found problems in {data_fs}:\n{output}")
        lines.append(f"cgs-restore: {script} {data_fs}: ok")
    return lines


def restore_filestorage(target, source: Path, date: str | None, force: bool) -> list[str]:
    repository = source / "filestorage"
    stamp = chosen_stamp(repository, date)
    data_fs, blob_dir = target.data_fs, target.blob_dir
    occupied = data_fs.exists() or (blob_dir is not None and blob_dir.exists() and any(blob_dir.iterdir()))
    if occupied and not force:
        raise SystemExit(f"cgs-restore: {data_fs} or its blob folder exists; stop the app and pass --force "
                         "to move them aside")
    for path in (data_fs, Path(f"{data_fs}.index"), Path(f"{data_fs}.lock"), Path(f"{data_fs}.tmp")):
        move_aside(path)
    if blob_dir is not None:
        move_aside(blob_dir)
    data_fs.parent.mkdir(parents=True, exist_ok=True)
    repozo("-R", "-r", str(repository), "-o", str(data_fs), "-D", stamp)
    lines = [f"cgs-restore: repozo restored {stamp} into {data_fs}"]
    if blob_dir is not None:
        snapshot = chosen_stamp(source / "blobs", stamp)
        shutil.copytree(source / "blobs" / snapshot, blob_dir)
        lines.append(f"cgs-restore: blobs of snapshot {snapshot} into {blob_dir}")
    return lines + verify_filestorage(data_fs)


def restore_postgresql(target, source: Path, date: str | None) -> list[str]:
    folder = source / "postgresql"
    stamp = chosen_stamp(folder, date)
    dump = folder / f"{stamp}.dump"
    subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error",
                    f"--dbname={target.dsn}", str(dump)], check=True)
    return [f"cgs-restore: pg_restore {dump} (with large objects)"]


def _restore_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="source", required=True, help="the cgs-backup folder")
    parser.add_argument("--date", help="restore the state at this UTC time, YYYY-MM-DD-HH-MM-SS")
    parser.add_argument("--force", action="store_true", help="move an existing Data.fs/blob folder aside")


def main(argv=None):
    args, target = parse_command("cgs-restore", __doc__, argv, _restore_options)
    started = time.monotonic()
    if target.kind == "filestorage":
        lines = restore_filestorage(target, Path(args.source), args.date, args.force)
    else:
        lines = restore_postgresql(target, Path(args.source), args.date)
    for line in lines:
        print(line)
    print(f"cgs-restore: done in {time.monotonic() - started:.1f}s; restart the app processes "
          "(and clear ZEO/RelStorage client blob caches)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
