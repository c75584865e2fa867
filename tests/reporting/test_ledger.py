"""The county ledger follows every transition of a report, and concurrent filings don't conflict."""
from __future__ import annotations

import datetime as dt

import pytest
import transaction
from BTrees.OOBTree import OOBTree
from ZODB import DB
from ZODB.FileStorage import FileStorage

from cgs_portal.reporting import ledger, workflow
from cgs_portal.reporting.evolve import (
    step_1_queue_and_counters,
    step_2_ledgers,
    step_3_unit_ledgers,
    step_4_unit_changes,
)
from cgs_portal.resources import Counties, County, PortalRoot, Unit

NOW = dt.datetime(2024, 10, 3, 9, 0)
TODAY = NOW.date()


def make_tree():
    root = PortalRoot()
    counties = root.add("counties", Counties())
    county = counties.add("65000", County("65000", "新北市"))
    for code in ("013601", "013602"):
        county.add(code, Unit(code, f"示範國小{code}", "國小", "65000", opened_on=dt.date(2022, 8, 1)))
    step_1_queue_and_counters(root, None)
    return root


@pytest.fixture
def tree():
    return make_tree()


def test_every_transition_rewrites_the_entry(tree):
    county = tree["counties"]["65000"]
    report = county["013601"].report(2024, 9, create=True)
    assert ledger.entry(county, "013601", 2024, 9) is None  # created, never transitioned
    assert ledger.state_on(None, 2024, 9, TODAY) == workflow.OPEN

    report.file_no_cases("013601_a", NOW, TODAY)
    first = ledger.entry(county, "013601", 2024, 9)
    assert first.state == workflow.SUBMITTED_NO_CASES and first.kind == "no_cases"
    assert first.first_filed_at == NOW and not first.late
    assert county.filing_generation() == 1

    report.request_amendment("填錯了", "013601_a", NOW, TODAY)
    requested = ledger.entry(county, "013601", 2024, 9)
    assert requested.state == workflow.AMENDMENT_REQUESTED and requested.stamp != first.stamp

    report.decide_amendment(True, "", "admin1", NOW, days=7)
    opened = ledger.entry(county, "013601", 2024, 9)
    assert opened.state == workflow.AMENDMENT_OPEN and opened.open_until == TODAY + dt.timedelta(days=7)
    # the entry derives the same state as the report, today and after the amendment expired
    for day in (TODAY, TODAY + dt.timedelta(days=8)):
        assert ledger.state_on(opened, 2024, 9, day) == report.state_on(day)
    assert ledger.state_on(opened, 2024, 9, TODAY + dt.timedelta(days=8)) == workflow.SUBMITTED_NO_CASES
    assert ledger.differences(county) == []


def test_late_first_filing_stays_late_and_rebuild_matches(tree):
    county = tree["counties"]["65000"]
    late_day = dt.date(2024, 11, 20)
    late_now = dt.datetime(2024, 11, 20, 10, 0)
    county["013602"].report(2024, 9, create=True).file_no_cases("x", late_now, late_day)
    on_time = dt.datetime(2024, 11, 8, 10, 0)
    county["013601"].report(2024, 10, create=True).file_no_cases("y", on_time, on_time.date())
    late = ledger.entry(county, "013602", 2024, 9)
    assert late.late and ledger.state_on(late, 2024, 9, late_day) == workflow.SUBMITTED_NO_CASES
    assert not ledger.entry(county, "013601", 2024, 10).late
    before = {k: tuple(e)[2:] for k, e in ledger.entries(county)}
    assert ledger.rebuild(county) == 2
    assert {k: tuple(e)[2:] for k, e in ledger.entries(county)} == before
    assert [key for key, _ in ledger.entries(county, "013602")] == [("013602", 2024, 9)]
    assert len(list(ledger.entries(county))) == 2


def test_evolve_step_fills_the_ledger_of_a_database_made_before_it(tree):
    county = tree["counties"]["65000"]
    county["013601"].report(2024, 9, create=True).file_no_cases("x", NOW, TODAY)
    for unit in county.values():
        del unit.ledger  # units made before the ledger existed
    step_2_ledgers(tree, None)
    step_3_unit_ledgers(tree, None)
    assert ledger.entry(county, "013601", 2024, 9).state == workflow.SUBMITTED_NO_CASES
    assert ledger.differences(county) == []


def test_a_fresh_database_keeps_its_filing_generations_at_zero(tree):
    """Evolving a county without reports changes nothing a reader would look at again
    (bench/peak.py checks each county's generation against its filings)."""
    county = tree["counties"]["65000"]
    step_2_ledgers(tree, None)
    step_3_unit_ledgers(tree, None)
    assert county.filing_generation() == 0 and list(ledger.entries(county)) == []


def test_evolve_step_3_moves_the_county_tree_into_the_units_keeping_stamps(tree):
    """A database of the first design: one OOBTree per county keyed (unit, "yyyy-mm")."""
    county = tree["counties"]["65000"]
    for code in ("013601", "013602"):
        county[code].report(2024, 9, create=True).file_no_cases("x", NOW, TODAY)
    county["013601"].report(2024, 8, create=True).file_no_cases("x", NOW, TODAY)
    old = OOBTree({(code, key): value for (code, y, m), _e in ledger.entries(county)
                   for key, value in county[code].ledger.items() if key == ledger.month_key(y, m)})
    stamps = {k: v[1] for k, v in old.items()}
    for unit in county.values():
        del unit.ledger
    county.ledger = old
    generation = county.filing_generation()
    # the new code ran before the step (cgs-init not run yet): 013602 requested an amendment
    county["013602"].report(2024, 9).request_amendment("更正", "x", NOW, TODAY)
    newer = county["013602"].ledger["2024-09"]
    step_3_unit_ledgers(tree, None)
    assert not hasattr(county, "ledger")
    stamps[("013602", "2024-09")] = newer[1]  # the newer entry is kept, not the tree's
    assert {(code, ledger.month_key(y, m)): e.stamp for (code, y, m), e in ledger.entries(county)} == stamps
    assert ledger.differences(county) == []
    assert county.filing_generation() > generation  # readers look again


def test_a_short_entry_tuple_reads_with_defaults():
    assert ledger.read(("submitted",)).kind is None and ledger.read(("submitted",)).late is False


def test_two_units_of_one_county_file_concurrently_without_conflict(tmp_path):
    db = DB(FileStorage(str(tmp_path / "Data.fs")))
    tm1, tm2 = transaction.TransactionManager(), transaction.TransactionManager()
    c1 = db.open(transaction_manager=tm1)
    c1.root()["p"] = make_tree()
    county = c1.root()["p"]["counties"]["65000"]
    for code in ("013601", "013602"):  # entries exist: a re-filing month rewrites its key
        county[code].report(2024, 9, create=True).file_no_cases("x", NOW, TODAY)
    tm1.commit()
    c2 = db.open(transaction_manager=tm2)
    one = c1.root()["p"]["counties"]["65000"]["013601"].report(2024, 9)
    two = c2.root()["p"]["counties"]["65000"]["013602"].report(2024, 9)
    one.request_amendment("a", "x", NOW, TODAY)
    two.request_amendment("b", "y", NOW, TODAY)
    tm1.commit()
    tm2.commit()  # the change counts and the Length resolve; no ConflictError
    c1.sync()
    county = c1.root()["p"]["counties"]["65000"]
    assert {e.state for _, e in ledger.entries(county)} == {workflow.AMENDMENT_REQUESTED}
    assert county.filing_generation() == 4
    assert dict(ledger.unit_changes(county)) == {"013601": 2, "013602": 2}  # both writes kept
    db.close()


def test_a_unit_moved_to_another_county_takes_its_entries(tree):
    counties = tree["counties"]
    taipei = counties.add("63000", County("63000", "臺北市"))
    unit = counties["65000"]["013601"]
    unit.report(2024, 9, create=True).file_no_cases("x", NOW, TODAY)
    counties.move_unit(unit, "63000")
    assert unit.__parent__ is taipei and unit.county_code == "63000" and "013601" not in counties["65000"]
    assert ledger.entry(taipei, "013601", 2024, 9).state == workflow.SUBMITTED_NO_CASES
    assert ledger.entry(counties["65000"], "013601", 2024, 9) is None
    assert ledger.differences(taipei) == [] and ledger.differences(counties["65000"]) == []
    assert taipei.filing_generation() >= 1


def test_units_of_a_county_filing_at_once_share_no_ledger_object(tmp_path):
    """Forty units of the county file their first month while one filing is in flight: it
    commits without a ConflictError. With one tree per county the forty new keys split its
    buckets, and the insert in flight conflicted on the tree node (bench/peak.py)."""
    db = DB(FileStorage(str(tmp_path / "Data.fs")))
    tm1, tm2 = transaction.TransactionManager(), transaction.TransactionManager()
    c1 = db.open(transaction_manager=tm1)
    c1.root()["p"] = tree = make_tree()
    county = tree["counties"]["65000"]
    for i in range(40):
        code = f"0136{i + 10:02d}"
        county.add(code, Unit(code, f"示範國小{code}", "國小", "65000", opened_on=dt.date(2022, 8, 1)))
    tm1.commit()
    c2 = db.open(transaction_manager=tm2)
    c1.root()["p"]["counties"]["65000"]["013601"].report(2024, 9, create=True).file_no_cases("x", NOW, TODAY)
    others = c2.root()["p"]["counties"]["65000"]
    for i in range(40):
        others[f"0136{i + 10:02d}"].report(2024, 9, create=True).file_no_cases("y", NOW, TODAY)
    tm2.commit()
    tm1.commit()  # no ConflictError: only the county's Length and change counts are shared, and both resolve
    c1.sync()
    county = c1.root()["p"]["counties"]["65000"]
    assert len(list(ledger.entries(county))) == 41
    assert county.filing_generation() == 41
    counts = dict(ledger.unit_changes(county))
    assert len(counts) == 41 and set(counts.values()) == {1}
    assert ledger.differences(county) == []
    db.close()


def test_every_write_of_a_units_entries_counts_as_a_change_of_that_unit(tree):
    counties = tree["counties"]
    county = counties["65000"]
    report = county["013601"].report(2024, 9, create=True)
    report.file_no_cases("x", NOW, TODAY)
    report.request_amendment("a", "x", NOW, TODAY)
    assert dict(ledger.unit_changes(county)) == {"013601": 2}
    county["013602"].note_change()  # a directory edit of its name or dates
    assert dict(ledger.unit_changes(county)) == {"013601": 2, "013602": 1}
    assert county.filing_generation() == 3
    taipei = counties.add("63000", County("63000", "臺北市"))
    counties.move_unit(county["013601"], "63000")
    assert "013601" not in ledger.unit_changes(county) and ledger.unit_changes(taipei)["013601"] == 1
    ledger.rebuild(taipei)
    assert ledger.unit_changes(taipei)["013601"] == 2


def test_evolve_step_4_gives_older_counties_their_change_counts(tree):
    county = tree["counties"]["65000"]
    del county.unit_changes  # a county made before the counts existed
    assert ledger.unit_changes(county) is None
    step_4_unit_changes(tree, None)
    assert dict(ledger.unit_changes(county)) == {} and county.filing_generation() == 1
    step_4_unit_changes(tree, None)  # again: nothing to do
    assert county.filing_generation() == 1
