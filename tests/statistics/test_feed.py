"""The index follows the database: filings, re-filings, no-cases filings, snapshots, builds."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from stats_fixture import OCT, SEP, SEP_SERVICES
from stats_helpers import TAIPEI, file_rows, reopen

from cgs_portal.statistics import feed, snapshot
from cgs_portal.statistics.query import Query, Scope, run

UNIT = Scope("unit", "013601")


def total(index, table="I", months=((2024, 9),), measure="visits", scope=UNIT):
    block = run(index, Query(table, measure, months), scope).blocks[0]
    return int(block.values[-1, -1, -1])


@pytest.mark.all_storages  # also on ZEO and RelStorage (tests/storages)
def test_filing_refiling_and_no_cases_filing_update_the_index(portal, world):
    holder = feed.Holder()
    with portal() as root:
        assert feed.refresh(holder, root) == 0
        assert total(holder.index) == 0
    with portal() as root:
        file_rows(root, "013601", 2024, 9, SEP, SEP_SERVICES)
    with portal() as root:
        assert feed.refresh(holder, root) == 1
        assert total(holder.index) == 6  # 3 rows: main + 3 secondary categories
        assert total(holder.index, "IX") == 1
        assert feed.refresh(holder, root) == 0  # nothing changed: nothing applied
    later = dt.datetime(2024, 10, 4, 9, tzinfo=TAIPEI)
    with portal() as root:  # an approved amendment, then filed again with other rows
        reopen(root, "013601", 2024, 9, later)
        file_rows(root, "013601", 2024, 9, OCT, (), when=later)
    with portal() as root:
        assert feed.refresh(holder, root) == 1
        assert total(holder.index) == 2
        assert total(holder.index, "VII") == 0
    with portal() as root:  # and once more, as 「當月無個案及服務」
        reopen(root, "013601", 2024, 9, later + dt.timedelta(days=1))
        file_rows(root, "013601", 2024, 9, no_cases=True, when=later + dt.timedelta(days=1))
    with portal() as root:
        feed.refresh(holder, root)
        assert total(holder.index) == 0
        block = run(holder.index, Query("IX", "visits", ((2024, 9),)), UNIT).blocks[0]
        assert int(block.values[block.rows.index("當月無個案及服務"), -1, -1]) == 1
    assert holder.index.live_rows() == (0, 0)


@pytest.mark.all_storages  # also on ZEO and RelStorage (tests/storages)
def test_other_counties_are_skipped_by_their_generation(portal, world):
    holder = feed.Holder()
    with portal() as root:
        file_rows(root, "013601", 2024, 9, SEP, SEP_SERVICES)
        file_rows(root, "333601", 2024, 9, SEP, ())
    with portal() as root:
        assert feed.refresh(holder, root) == 2
    with portal() as root:
        file_rows(root, "333601", 2024, 10, OCT, ())
    with portal() as root:
        seen = dict(holder.index.generations)
        assert feed.refresh(holder, root) == 1
        assert holder.index.generations["65000"] == seen["65000"]
        assert holder.index.generations["63000"] != seen["63000"]
        assert total(holder.index, months=((2024, 10),), scope=Scope("county", "63000")) == 2


def test_a_snapshot_answers_at_once_and_then_applies_what_changed(portal, world, tmp_path):
    path = str(tmp_path / "stats.npz")
    holder = feed.Holder()
    with portal() as root:
        file_rows(root, "013601", 2024, 9, SEP, SEP_SERVICES)
    with portal() as root:
        feed.refresh(holder, root)
    snapshot.save(holder, path)
    with portal() as root:
        file_rows(root, "013601", 2024, 10, OCT, ())
    cold = feed.Holder()
    assert snapshot.load_into(cold, path) and cold.loaded_snapshot
    assert not cold.ready  # what changed since is applied before it answers a request
    assert total(cold.index) == 6  # the snapshot as written
    for query in (Query("I", "persons", ((2024, 9),)), Query("VIII", "persons", ((2024, 9),))):
        assert (run(cold.index, query, UNIT).blocks[0].values == run(holder.index, query, UNIT).blocks[0].values).all()
    with portal() as root:
        assert feed.refresh(cold, root) == 1  # only October
        assert total(cold.index, months=((2024, 9), (2024, 10)), measure="persons") == 3
    assert not snapshot.load_into(feed.Holder(), str(tmp_path / "missing.npz"))
    (tmp_path / "bad.npz").write_bytes(b"not a snapshot")
    assert not snapshot.load_into(feed.Holder(), str(tmp_path / "bad.npz"))


def test_the_background_build_fills_the_index_from_its_own_connection(app, portal, world):
    with portal() as root:
        file_rows(root, "013601", 2024, 9, SEP, SEP_SERVICES)
    db = app.registry._zodb_databases[""]
    holder = feed.Holder()
    thread = feed.build_in_background(db, holder)
    thread.join(30)
    assert holder.ready and holder.error is None
    assert total(holder.index) == 6
    assert feed.build_in_background(db, holder) is None  # ready: nothing to do


def test_a_loaded_snapshot_catches_up_in_the_background_and_is_written_again(app, portal, world, tmp_path):
    from cgs_portal.statistics.views import query as views

    path = str(tmp_path / "stats.npz")
    with portal() as root:
        file_rows(root, "013601", 2024, 9, SEP, SEP_SERVICES)
    written = feed.Holder()
    with portal() as root:
        feed.refresh(written, root)
    snapshot.save(written, path)
    with portal() as root:  # filed after the snapshot was written
        file_rows(root, "013601", 2024, 10, OCT, ())
    db = app.registry._zodb_databases[""]
    holder = feed.holder_for(db)
    assert not holder.ready
    views.start(db, {"cgs.stats_snapshot": path})
    assert holder.loaded_snapshot
    for _ in range(300):
        if holder.ready:
            break
        threading.Event().wait(0.05)
    assert holder.ready and holder.error is None and holder.applied == 1  # October only
    assert total(holder.index, months=((2024, 10),)) == 2
    for _ in range(100):  # the catch-up applied a filing: the snapshot was written again
        if holder.saved_applied == 1:
            break
        threading.Event().wait(0.05)
    again = feed.Holder()
    assert snapshot.load_into(again, path)
    assert total(again.index, months=((2024, 10),)) == 2
    # later filings rewrite it only when the last write is older than cgs.stats_snapshot_every
    holder.applied += 1
    assert snapshot.maybe_save(holder, path, every=3600) is None
    thread = snapshot.maybe_save(holder, path, every=0)
    thread.join(30)
    assert holder.saved_applied == holder.applied and not holder.saving


def test_a_snapshot_keeps_keys_with_nul_and_none(tmp_path):
    packed = snapshot._pack_strings(["a", None, "乙/3", ""])
    assert snapshot._unpack_strings(packed, 4) == ["a", None, "乙/3", ""]
    odd = snapshot._pack_strings(["x\x00y", None])
    assert snapshot._unpack_strings(odd, 2) == ["x\x00y", None]
    assert snapshot._unpack_strings(snapshot._pack_strings([]), 0) == []


def test_one_index_per_database(app):
    db = app.registry._zodb_databases[""]
    assert feed.holder_for(db) is feed.holder_for(db)
    assert feed.holder_for(db) is not feed.Holder()


def _recording_registrations(monkeypatch):
    read = []
    real = feed._register_units

    def recording(index, county, units):
        units = list(units)
        read.append(sorted(u.code for u in units))
        real(index, county, units)

    monkeypatch.setattr(feed, "_register_units", recording)
    return read


@pytest.mark.all_storages  # also on ZEO and RelStorage (tests/storages)
def test_a_changed_county_is_read_only_where_its_units_changed(portal, world, monkeypatch, tmp_path):
    holder = feed.Holder()
    with portal() as root:
        file_rows(root, "013601", 2024, 9, SEP, SEP_SERVICES)
    read = _recording_registrations(monkeypatch)
    with portal() as root:
        assert feed.refresh(holder, root) == 1
    assert ["013501", "013601", "01C001"] in read  # the first look at 新北市: every unit
    path = str(tmp_path / "stats.npz")
    snapshot.save(holder, path)
    read.clear()
    with portal() as root:
        file_rows(root, "013501", 2024, 9, SEP, ())
    with portal() as root:
        assert feed.refresh(holder, root) == 1
    assert read == [["013501"]]  # not 013601 nor the centre
    assert total(holder.index, scope=Scope("county", "65000")) == 12
    # a process started from the snapshot (written before that filing) reads that unit only
    cold = feed.Holder()
    assert snapshot.load_into(cold, path)
    read.clear()
    with portal() as root:
        assert feed.refresh(cold, root) == 1
    assert read == [["013501"]]
    assert total(cold.index, scope=Scope("county", "65000")) == 12


def test_a_directory_edit_of_a_unit_shows_at_once(portal, world, monkeypatch):
    holder = feed.Holder()
    with portal() as root:
        file_rows(root, "013601", 2024, 9, SEP, SEP_SERVICES)
    with portal() as root:
        feed.refresh(holder, root)
    read = _recording_registrations(monkeypatch)
    with portal() as root:
        unit = root["counties"]["65000"]["013501"]
        unit.name = "新北市立示範仁愛國民中學（新名）"
        unit.note_change()
    with portal() as root:
        assert feed.refresh(holder, root) == 0  # no rows changed, only the unit's name
    assert read == [["013501"]]
    index = holder.index
    assert index.unit_info[index.units.ids["013501"]].name == "新北市立示範仁愛國民中學（新名）"


def test_a_county_without_change_counts_is_walked_whole(portal, world, monkeypatch):
    holder = feed.Holder()
    with portal() as root:  # a database not evolved to reporting step 4 yet
        del root["counties"]["65000"].unit_changes
        file_rows(root, "013601", 2024, 9, SEP, SEP_SERVICES)  # new code writes the counts
        del root["counties"]["65000"].unit_changes
    read = _recording_registrations(monkeypatch)
    with portal() as root:
        assert feed.refresh(holder, root) == 1
    assert ["013501", "013601", "01C001"] in read
    with portal() as root:
        file_rows(root, "013501", 2024, 9, SEP, ())  # the first count of the county
    read.clear()
    with portal() as root:
        assert feed.refresh(holder, root) == 1
    assert read == [["013501", "013601", "01C001"]]  # counts never seen before: whole again
    with portal() as root:
        file_rows(root, "013601", 2024, 10, OCT, ())
    read.clear()
    with portal() as root:
        assert feed.refresh(holder, root) == 1
    assert read == [["013601"]]  # from then on, only what changed
    assert total(holder.index, months=((2024, 9), (2024, 10)), scope=Scope("county", "65000")) == 14


def test_a_snapshot_of_an_empty_index_loads_and_catches_up(portal, world, tmp_path):
    path = str(tmp_path / "stats.npz")
    holder = feed.Holder()
    with portal() as root:
        feed.refresh(holder, root)  # nothing filed yet
    snapshot.save(holder, path)
    with portal() as root:
        file_rows(root, "013601", 2024, 9, SEP, SEP_SERVICES)
    cold = feed.Holder()
    assert snapshot.load_into(cold, path)
    with portal() as root:
        assert feed.refresh(cold, root) == 1
    assert total(cold.index) == 6
