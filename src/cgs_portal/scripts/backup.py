"""cgs-backup CONFIG --to DIR: back up the portal's database, blobs included.

The storage is the one ``zodbconn.uri`` of CONFIG names (``CGS_ZODB_URI`` overrides it):

* **FileStorage** (``file://…``, or ZEO's on the ZEO server with ``--data-fs``/``--blob-dir``):
  ``repozo -B -z`` (incremental after the first full backup) into ``DIR/filestorage``, then a
  snapshot of the blob folder into ``DIR/blobs/<stamp>/`` taken *after* repozo, so it holds
  every blob the backed-up Data.fs names (repozo copies no blob; a Data.fs restored without
  its blobs raises POSKeyError on every upload). Unchanged blob files are hard links into the
  previous snapshot (``rsync --link-dest`` style: blob files are never modified in place).
  Two backups never start in the same second: repozo names its files by the second, and a
  full and a delta of the same second restore as the full only.
* **RelStorage on PostgreSQL** (a ``zconfig://`` file with a ``<relstorage>`` section):
  ``pg_dump -Fc --blobs`` into ``DIR/postgresql/<stamp>.dump``; the blobs are large objects
  of the database (``shared-blob-dir false``), so the dump holds them.

Restore with ``cgs-restore`` (docs/deploy.md: the cron lines and the restore drill).
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

STAMP_FORMAT = "%Y-%m-%d-%H-%M-%S"  # repozo's, in UTC


@dataclass
class Target:
    """What to back up: a FileStorage (+ blob folder) or a PostgreSQL database."""

    kind: str  # "filestorage" or "postgresql"
    data_fs: Path | None = None
    blob_dir: Path | None = None
    dsn: str | None = None


def app_settings(config_uri: str) -> dict:
    import plaster

    from .. import settings_with_environment

    return settings_with_environment(plaster.get_settings(config_uri, "app:main"))


def relstorage_dsn(uri: str) -> str:
    """The PostgreSQL dsn of the RelStorage a ``zconfig://`` URI opens."""
    import ZConfig
    from zodburi.resolvers import ZConfigURIResolver

    path = os.path.normpath(urlsplit(uri).path)
    schema = ZConfig.loadSchemaFile(io.BytesIO(ZConfigURIResolver.schema_xml_template))
    config, _handler = ZConfig.loadConfig(schema, path)
    for section in list(config.databases) + list(config.storages):
        storage = getattr(getattr(section, "config", None), "storage", None) or section
        adapter = getattr(getattr(storage, "config", None), "adapter", None)
        dsn = getattr(getattr(adapter, "config", None), "dsn", None)
        if dsn:
            return dsn
    raise SystemExit(f"{path}: no <relstorage> with a <postgresql> dsn found")


def target_of(uri: str, data_fs=None, blob_dir=None) -> Target:
    """The backup target of ``uri``; ``data_fs``/``blob_dir`` name a ZEO server's files."""
    parts = urlsplit(uri)
    if data_fs:
        return Target("filestorage", Path(data_fs), Path(blob_dir) if blob_dir else None)
    if parts.scheme == "file":
        query = dict(parse_qsl(parts.query))
        blobs = blob_dir or query.get("blobstorage_dir")
        return Target("filestorage", Path(parts.path), Path(blobs) if blobs else None)
    if parts.scheme == "zconfig":
        return Target("postgresql", dsn=relstorage_dsn(uri))
    if parts.scheme == "zeo":
        raise SystemExit("a ZEO client cannot back up the server's files: run cgs-backup on the ZEO "
                         "server with --data-fs PATH --blob-dir PATH (the paths of zeo.conf)")
    raise SystemExit(f"cgs-backup: no backup method for {parts.scheme}:// storages")


def stamp_now() -> str:
    return time.strftime(STAMP_FORMAT, time.gmtime())


def newest_stamp(folder: Path) -> str | None:
    """The newest stamp of a repozo, dump or snapshot folder (names start with a stamp)."""
    if not folder.is_dir():
        return None
    stamps = [entry.name[:19] for entry in folder.iterdir() if entry.name[:4].isdigit()]
    return max(stamps) if stamps else None


def wait_for_a_new_second(folder: Path) -> None:
    """Never two backups in the same second (repozo's names would collide)."""
    last = newest_stamp(folder)
    while last is not None and stamp_now() <= last:
        time.sleep(0.05)


def repozo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ZODB.scripts.repozo", *args], check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def snapshot_blobs(blob_dir: Path, folder: Path, stamp: str) -> Path:
    """Copy ``blob_dir`` to ``folder/stamp``; files unchanged since the last snapshot are hard links."""
    previous = newest_stamp(folder)
    previous_dir = folder / previous if previous else None
    target = folder / stamp
    partial = folder / (stamp + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    for current, _dirs, files in os.walk(blob_dir):
        relative = Path(current).relative_to(blob_dir)
        if relative.parts[:1] == ("tmp",):
            continue  # uploads being written: not committed, not named by any Data.fs
        (partial / relative).mkdir(parents=True, exist_ok=True)
        for name in files:
            source = Path(current) / name
            if name.endswith(".lock") or name.startswith("."):
                continue  # ZODB's lock files, never part of the data
            before = previous_dir / relative / name if previous_dir else None
            stat = source.stat()
            if before is not None and before.exists():
                old = before.stat()
                if old.st_size == stat.st_size and int(old.st_mtime) == int(stat.st_mtime):
                    os.link(before, partial / relative / name)
                    continue
            shutil.copy2(source, partial / relative / name)
    # the layout marker (.layout) is read by BlobStorage: keep it
    for marker in (".layout",):
        if (blob_dir / marker).exists():
            shutil.copy2(blob_dir / marker, partial / marker)
    partial.rename(target)
    return target


def backup_filestorage(target: Target, to: Path, full: bool = False) -> list[str]:
    repository = to / "filestorage"
    repository.mkdir(parents=True, exist_ok=True)
    wait_for_a_new_second(repository)
    before = newest_stamp(repository)
    result = repozo("-B", "-z", "-r", str(repository), "-f", str(target.data_fs), *(["-F"] if full else []))
    stamp = newest_stamp(repository)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    if stamp == before:
        return lines + ["cgs-backup: Data.fs unchanged since the last backup, nothing copied"]
    lines.append(f"cgs-backup: repozo backup {stamp} in {repository}")
    if target.blob_dir is not None:
        snapshot = snapshot_blobs(target.blob_dir, to / "blobs", stamp)
        lines.append(f"cgs-backup: blob snapshot {snapshot}")
    return lines


def backup_postgresql(target: Target, to: Path) -> list[str]:
    folder = to / "postgresql"
    folder.mkdir(parents=True, exist_ok=True)
    wait_for_a_new_second(folder)
    path = folder / f"{stamp_now()}.dump"
    partial = path.with_suffix(".partial")
    subprocess.run(["pg_dump", "-Fc", "--blobs", f"--file={partial}", f"--dbname={target.dsn}"],
                   check=True)
    partial.rename(path)
    return [f"cgs-backup: pg_dump (with large objects) {path}"]


def parse_command(prog: str, description: str, argv, own_options) -> tuple[argparse.Namespace, Target]:
    """The command line of cgs-backup or cgs-restore: the app's ini, the script's own options
    (``own_options(parser)`` adds them) and a ZEO server's files; returns the options and the
    storage they name."""
    parser = argparse.ArgumentParser(prog=prog, description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config_uri", help="the app's ini (production.ini)")
    own_options(parser)
    parser.add_argument("--data-fs", help="the ZEO server's Data.fs (run on the ZEO server)")
    parser.add_argument("--blob-dir", help="the ZEO server's blob folder")
    args = parser.parse_args(argv)
    settings = app_settings(args.config_uri)
    uri = (settings.get("zodbconn.uri") or "").strip()
    if not uri and not args.data_fs:
        raise SystemExit(f"{prog}: {args.config_uri} names no database: set CGS_ZODB_URI to the "
                         "portal's storage URI (the one deploy/systemd/cgs@.service gives the web "
                         "processes), or run on the ZEO server with --data-fs")
    return args, target_of(uri, args.data_fs, args.blob_dir)


def _backup_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", required=True, help="the backup folder (kept between runs)")
    parser.add_argument("--full", action="store_true", help="a full repozo backup (FileStorage)")


def main(argv=None):
    args, target = parse_command("cgs-backup", __doc__, argv, _backup_options)
    to = Path(args.to)
    if target.kind == "filestorage":
        lines = backup_filestorage(target, to, full=args.full)
    else:
        lines = backup_postgresql(target, to)
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
