"""cgs-backup / cgs-restore: back up, destroy, restore, and compare every report, filing and blob.

The comparison (``inventory``) reads every upload's blob and its SHA-256, so a restore that
lost blob files fails here (zodbverify alone would not notice); the FileStorage restore also
runs ``fstest`` and ``fsrefs``.
"""
from __future__ import annotations

import shutil

import pytest

from cgs_portal import main
from cgs_portal.scripts import backup, restore
from storages.conftest import close_app, file_some_months
from storages.inventory import blob_sha256, inventory_of
from support import login, write_ini


def ini_for(tmp_path, uri) -> str:
    path = write_ini(tmp_path, "backup.ini")
    text = open(path).read().splitlines()
    text = [f"zodbconn.uri = {uri}" if line.startswith("zodbconn.uri") else line for line in text]
    open(path, "w").write("\n".join(text) + "\n")
    return path


def some_filings(settings, months):
    """A fresh app on ``settings``: the world, filings through the pages; closed afterwards."""
    import webtest

    from storages.conftest import UNIT  # noqa: F401 — the unit the filings are for
    from support import add_account, add_unit, open_root

    app = main({}, **settings)
    try:
        with open_root(app) as root:
            add_unit(root, "013601", "新北市立示範光明國民小學", "國小", "65000")
            if "013601_a001" not in root["accounts"]:
                add_account(root, "013601_a001", unit_code="013601", personal_id="a001", name="王老師",
                            email="wang@example.invalid")
        testapp = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.10"})
        login(testapp, "013601_a001")
        file_some_months(testapp, app.registry.cgs_clock, months)
    finally:
        close_app(app)


def test_filestorage_backup_destroy_restore(tmp_path, settings, capsys):
    uri = settings["zodbconn.uri"]
    config = ini_for(tmp_path, uri)
    target = backup.target_of(uri)
    to = tmp_path / "backups"

    some_filings(settings, ((2024, 8), (2024, 9)))
    assert backup.main([config, "--to", str(to)]) == 0
    first, first_generations = inventory_of(uri)
    some_filings(settings, ((2024, 10),))
    assert backup.main([config, "--to", str(to)]) == 0  # incremental: a delta, a new blob snapshot
    second, second_generations = inventory_of(uri)
    assert len(second) == len(first) + 1

    files = sorted(p.name for p in (to / "filestorage").iterdir())
    stamps = sorted({name[:19] for name in files})
    assert len(stamps) == 2  # never two backups in one second
    assert f"{stamps[0]}.fsz" in files and f"{stamps[1]}.deltafsz" in files
    snapshots = sorted(p.name for p in (to / "blobs").iterdir())
    assert stamps == snapshots  # a blob snapshot after each repozo run

    # destroy: the Data.fs and every blob
    for path in tmp_path.glob("Data.fs*"):
        path.unlink()
    shutil.rmtree(target.blob_dir)
    capsys.readouterr()
    assert restore.main([config, "--from", str(to)]) == 0
    said = capsys.readouterr().out
    assert "fstest" in said and "fsrefs" in said and said.count(": ok") == 2
    assert inventory_of(uri) == (second, second_generations)

    # the state of the first backup, restored over the current one (moved aside with --force)
    assert restore.main([config, "--from", str(to), "--date", stamps[0], "--force"]) == 0
    assert inventory_of(uri) == (first, first_generations)
    assert list(tmp_path.glob("Data.fs.before-restore-*"))


def test_restore_without_the_blob_snapshot_is_noticed(tmp_path, settings):
    """What repozo alone gives back: the Data.fs without its blobs. The inventory reads each
    blob, so the loss cannot go unseen."""
    uri = settings["zodbconn.uri"]
    config = ini_for(tmp_path, uri)
    to = tmp_path / "backups"
    some_filings(settings, ((2024, 9),))
    backup.main([config, "--to", str(to)])
    for path in tmp_path.glob("Data.fs*"):
        path.unlink()
    shutil.rmtree(backup.target_of(uri).blob_dir)
    shutil.rmtree(to / "blobs")
    with pytest.raises(SystemExit, match="no backup"):
        restore.main([config, "--from", str(to)])


def test_blob_snapshots_share_unchanged_files(tmp_path, settings):
    uri = settings["zodbconn.uri"]
    config = ini_for(tmp_path, uri)
    to = tmp_path / "backups"
    some_filings(settings, ((2024, 9),))
    backup.main([config, "--to", str(to)])
    some_filings(settings, ((2024, 10),))
    backup.main([config, "--to", str(to)])
    first, second = sorted((to / "blobs").iterdir())
    old = {p.relative_to(first): p.stat().st_ino for p in first.rglob("*.blob")}
    new = {p.relative_to(second): p.stat().st_ino for p in second.rglob("*.blob")}
    assert old and set(old) < set(new)
    assert all(new[name] == inode for name, inode in old.items())  # hard links, not copies


@pytest.mark.parametrize("storage", ["relstorage"], indirect=True)
def test_relstorage_backup_destroy_restore(tmp_path, settings, postgres_cluster):
    uri = settings["zodbconn.uri"]
    config = ini_for(tmp_path, uri)
    target = backup.target_of(uri)
    assert target.kind == "postgresql" and "cgs_test_" in target.dsn
    to = tmp_path / "backups"
    some_filings(settings, ((2024, 8), (2024, 9), (2024, 10)))
    before = inventory_of(uri)
    assert any(entry["uploads"] for entry in before[0].values())
    assert backup.main([config, "--to", str(to)]) == 0
    dump = next((to / "postgresql").iterdir())

    # destroy: drop the database (its large objects, the blobs, with it), make an empty one
    name = target.dsn.split("dbname='")[1].split("'")[0]
    postgres_cluster.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    postgres_cluster.execute(f'CREATE DATABASE "{name}"')
    for cache in tmp_path.glob("blobcache-*"):
        shutil.rmtree(cache)  # a restored database must not be read through an old blob cache
    assert restore.main([config, "--from", str(to)]) == 0
    assert dump.stat().st_size > 0
    assert inventory_of(uri) == before


@pytest.mark.parametrize("storage", ["zeo"], indirect=True)
def test_zeo_server_files_backup_and_restore(tmp_path, settings, zeo_server):
    """On the ZEO server's machine: cgs-backup with the server's Data.fs and blob folder."""
    uri = settings["zodbconn.uri"]
    name = uri.split("storage=")[1].split("&")[0]
    config = ini_for(tmp_path, uri)
    to = tmp_path / "backups"
    some_filings(settings, ((2024, 9),))
    with pytest.raises(SystemExit, match="run cgs-backup on the ZEO server"):
        backup.main([config, "--to", str(to)])
    files = ["--data-fs", str(zeo_server.data_fs(name)), "--blob-dir", str(zeo_server.blob_dir(name))]
    assert backup.main([config, "--to", str(to), *files]) == 0
    before, _generations = inventory_of(uri)
    restored = tmp_path / "restored"
    assert restore.main([config, "--from", str(to), "--data-fs", str(restored / "Data.fs"),
                         "--blob-dir", str(restored / "blobs")]) == 0
    copy = f"file://{restored}/Data.fs?blobstorage_dir={restored}/blobs"
    assert inventory_of(copy)[0] == before
    digests = {u[3] for entry in before.values() for u in entry["uploads"]}
    assert digests and blob_sha256  # every upload's blob was read on both sides


@pytest.mark.parametrize("script", ["cgs-backup", "cgs-restore"])
def test_without_cgs_zodb_uri_the_scripts_say_which_variable_in_one_line(tmp_path, script):
    """production.ini has no storage of its own: run without CGS_ZODB_URI (a cron line
    without the web processes' environment), the script stops with one line naming it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from storages.conftest import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith("CGS_")}
    option = ["--to", str(tmp_path / "backup")] if script == "cgs-backup" else ["--from", str(tmp_path)]
    done = subprocess.run([str(Path(sys.executable).with_name(script)), "production.ini", *option],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(f"{script}: production.ini names no database: set CGS_ZODB_URI"), line
    assert not (tmp_path / "backup").exists()
