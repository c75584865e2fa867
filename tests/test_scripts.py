"""Console scripts: cgs-init (bootstrap + evolve, idempotent) and cgs-import-units."""
from __future__ import annotations

import pytest
import transaction
from ZODB import DB
from ZODB.FileStorage import FileStorage

from cgs_portal import main
from cgs_portal.evolve import APP_KEY, describe, latest, steps
from cgs_portal.scripts import import_units, init
from support import write_ini


@pytest.fixture
def ini(tmp_path):
    def make(demo=False):
        return write_ini(tmp_path, demo=demo)

    return make


def open_db(tmp_path):
    return DB(FileStorage(str(tmp_path / "Data.fs"), blob_dir=str(tmp_path / "blobs")))


def registered_steps(tmp_path):
    """The evolve steps every concern registers, and the versions they lead to."""
    app = main({}, **{"zodbconn.uri": f"file://{tmp_path}/Steps.fs", "cgs.session_secret": "s" * 40})
    try:
        return steps(app.registry), describe(latest(app.registry))
    finally:
        for db in app.registry._zodb_databases.values():
            db.close()


def test_init_creates_and_is_idempotent(ini, tmp_path, capsys):
    STEPS, LATEST = registered_steps(tmp_path)
    config = ini()
    assert init.main([config]) == 0
    first = capsys.readouterr().out
    assert f"schema version {LATEST}" in first and f"{len(STEPS)} step(s) applied" in first
    assert init.main([config]) == 0
    assert "0 step(s) applied" in capsys.readouterr().out
    db = open_db(tmp_path)
    try:
        root = db.open().root()[APP_KEY]
        assert len(root["counties"]) == 22
        assert set(root["templates"].keys()) == {"111", "113", "B111", "B113"}
        assert len(root.announcements) == 1
    finally:
        db.close()


def test_demo_init_prints_passwords_once(ini, tmp_path, capsys):
    config = ini(demo=True)
    init.main([config])
    out = capsys.readouterr().out
    assert "Demo logins" in out and "admin" in out and "_demo" in out
    init.main([config])
    again = capsys.readouterr().out
    assert "Demo logins" not in again and "exist already" in again
    db = open_db(tmp_path)
    try:
        root = db.open().root()[APP_KEY]
        units = sum(len(c) for c in root["counties"].values())
        assert units == 428
        admin = root["accounts"]["admin"]
        assert admin.password_hash.startswith("$argon2")
    finally:
        db.close()


def test_import_units_prints_changes_and_is_idempotent(ini, tmp_path, capsys):
    config = ini()
    csv_file = tmp_path / "dir.csv"
    csv_file.write_text(
        "\ufeff學年度,代碼,學校名稱,公/私立,縣市名稱,地址,電話,網址\n"
        "112,010301,國立華僑高級中等學校,公立,[01]新北市,[220]新北市板橋區大觀路一段32號,(02)29684131,http://x\n"
        "112,333601,臺北市立示範國小,公立,[33]臺北市,[100]臺北市,(02)1,http://y\n",
        encoding="utf-8",
    )
    assert import_units.main([config, str(csv_file)]) == 0
    out = capsys.readouterr().out
    assert "added    010301" in out and "added=2" in out
    assert import_units.main([config, str(csv_file)]) == 0
    assert "added=0 renamed=0 moved=0 updated=0" in capsys.readouterr().out
    csv_file.write_text(
        "代碼,學校名稱,公/私立,縣市名稱\n010301,國立華僑高級中等學校,公立,[01]新北市\n", encoding="utf-8"
    )
    assert import_units.main([config, str(csv_file), "--dry-run"]) == 0
    assert "missing  333601" in capsys.readouterr().out
    assert import_units.main([config, str(csv_file), "--close-missing"]) == 0
    assert "closed   333601" in capsys.readouterr().out
    db = open_db(tmp_path)
    try:
        root = db.open().root()[APP_KEY]
        unit = root["counties"]["63000"]["333601"]
        assert unit.closed_on is not None  # closed, still there
    finally:
        db.close()
        transaction.abort()


def test_import_units_refuses_a_bad_file(ini, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert import_units.main([ini(), str(bad)]) == 2
    assert "cgs-import-units:" in capsys.readouterr().err


def test_an_old_database_keeps_its_steps_and_runs_only_the_new_ones(app, portal):
    """A root evolved by the single-number schema (version 5) maps onto the per-concern record."""
    from cgs_portal.evolve import evolved, pending

    with portal() as root:
        del root.evolved
        root.schema_version = 5
        record = evolved(root)
        assert record["portal"] == 1 and record["site"] == 1 and record["reporting"] == 1
        labels = [step.label for step in pending(root, app.registry)]
        assert labels[0].startswith("portal 2") and not any(s.startswith("site") for s in labels)


def test_import_units_takes_the_level_from_the_file_and_writes_the_missing_list(ini, tmp_path, capsys):
    """Issue 10 item 19: 7/8 as the 4th character of a 國小 code is not a reason to skip it."""
    config = ini()
    header = "學年度,代碼,學校名稱,公/私立,縣市名稱\n"
    csv_file = tmp_path / "113學年度國小名錄.csv"
    csv_file.write_text(header + "".join(
        f"113,01{n},新北市立示範{n}國小,公立,[01]新北市\n" for n in ("3601", "4701", "4702", "4801")
    ), encoding="utf-8")
    assert import_units.main([config, str(csv_file)]) == 0
    out = capsys.readouterr().out
    assert "added=4" in out and "skipped" not in out
    unnamed = tmp_path / "schools.csv"
    unnamed.write_text(csv_file.read_text("utf-8"), encoding="utf-8")
    assert import_units.main([config, str(unnamed)]) == 2
    assert "--level" in capsys.readouterr().err
    unnamed.write_text(header + "113,013601,新北市立示範3601國小,公立,[01]新北市\n", encoding="utf-8")
    report = tmp_path / "missing.tsv"
    assert import_units.main([config, str(unnamed), "--level", "國小", "--dry-run",
                              "--missing-report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "missing  新北市 3" in out and str(report) in out
    assert sorted(line.split("\t")[0] for line in report.read_text("utf-8").splitlines()) == [
        "014701", "014702", "014801"]


def test_an_app_started_on_a_database_not_evolved_says_to_run_cgs_init(ini, tmp_path, caplog):
    """After an upgrade the steps run only with cgs-init; an app started before it says so
    (and on an evolved or an empty database says nothing)."""
    import logging

    config = ini()
    assert init.main([config]) == 0
    settings = {"zodbconn.uri": f"file://{tmp_path}/Data.fs?blobstorage_dir={tmp_path}/blobs",
                "cgs.session_secret": "s" * 40}

    def start() -> list[str]:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="cgs_portal.evolve"):
            app = main({}, **settings)
        for db in app.registry._zodb_databases.values():
            db.close()
        return [r.getMessage() for r in caplog.records if "cgs-init" in r.getMessage()]

    assert start() == []
    db = open_db(tmp_path)
    try:
        conn = db.open()
        conn.root()[APP_KEY].evolved["reporting"] = 2  # as before the upgrade to step 3
        transaction.commit()
    finally:
        db.close()
    warned = start()
    assert len(warned) == 1 and "reporting 3" in warned[0]
    settings["zodbconn.uri"] = f"file://{tmp_path}/Empty.fs"
    assert start() == []
