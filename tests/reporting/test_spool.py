"""Uploads are spooled into the portal's own folder, which is emptied of leftovers at start-up."""
from __future__ import annotations

import os
import subprocess
import sys

import webtest
from helpers import upload

from cgs_portal import main
from cgs_portal.reporting import service
from support import login


def close(app):
    for db in app.registry._zodb_databases.values():
        db.close()


def test_uploads_are_spooled_under_the_spool_dir_and_removed(settings, tmp_path, world, make_workbook,
                                                              monkeypatch, app):
    seen = []
    real = service.store_upload

    def store(unit, report, path, *args):
        seen.append((path, os.path.exists(path)))
        return real(unit, report, path, *args)

    monkeypatch.setattr(service, "store_upload", store)
    testapp = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.10"})
    login(testapp, world["unit"])
    upload(testapp, "2024-09", make_workbook())
    (path, existed), = seen
    assert existed and os.path.dirname(path) == str(tmp_path / "spool")
    assert app.registry.settings["cgs.spool_dir"] == str(tmp_path / "spool")  # beside Data.fs
    assert os.listdir(tmp_path / "spool") == []


def test_the_spool_dir_setting_wins(settings, tmp_path):
    app = main({}, **{**settings, "cgs.spool_dir": str(tmp_path / "elsewhere")})
    try:
        assert app.registry.settings["cgs.spool_dir"] == str(tmp_path / "elsewhere")
        assert (tmp_path / "elsewhere").is_dir()
    finally:
        close(app)


def test_leftovers_of_dead_processes_are_removed_at_start_up(settings, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (spool / f"cgs-upload-{dead}-abc.xlsx").write_bytes(b"killed during validation")
        (spool / "cgs-upload-old.xlsx").write_bytes(b"no process named")
        (spool / f"cgs-upload-{alive.pid}-def.xlsx").write_bytes(b"another process, still validating")
        app = main({}, **{**settings, "cgs.spool_dir": str(spool)})
        close(app)
        assert sorted(os.listdir(spool)) == [f"cgs-upload-{alive.pid}-def.xlsx"]
    finally:
        alive.kill()
        alive.wait()


def test_nothing_is_spooled_in_the_system_temp_folder(monkeypatch, tmp_path):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "system-tmp"))
    (tmp_path / "system-tmp").mkdir()
    (tmp_path / "spool").mkdir()
    import io

    path, size = service.spool(io.BytesIO(b"PK data"), folder=str(tmp_path / "spool"))
    assert os.path.dirname(path) == str(tmp_path / "spool") and size == 7
    assert os.listdir(tmp_path / "system-tmp") == []
    assert os.path.basename(path).startswith(f"cgs-upload-{os.getpid()}-")
