"""Reporting rates against a hand-counted county (a unit opened mid-year, one closed mid-year)."""
from __future__ import annotations

import datetime as dt

import pytest

from cgs_portal.admin import rates
from support import add_unit

TAIPEI = dt.timezone(dt.timedelta(hours=8))
TODAY = dt.date(2025, 1, 20)  # 113 上學期: Aug … Jan have opened (Jan since the 11th)


def at(y, m, d):
    return dt.datetime(y, m, d, 9, 0, tzinfo=TAIPEI)


def paper(unit, ym, day):
    unit.report(*ym, create=True).admin_record("paper", "紙本寄達", "admin1", at(*day))


def no_cases(unit, ym, day):
    unit.report(*ym, create=True).admin_record("no_cases", "電話告知無個案", "admin1", at(*day))


@pytest.fixture
def county(portal):
    """Four units of 新北, counted by hand in the module docstring of each test."""
    with portal() as root:
        a = add_unit(root, "100001", "甲國小", "國小", "65000")
        b = add_unit(root, "100002", "乙國小", "國小", "65000", opened_on=dt.date(2024, 11, 15))
        c = add_unit(root, "100003", "丙國中", "國中", "65000")
        d = add_unit(root, "100004", "丁國中", "國中", "65000")
        # A: Aug, Sep on time (paper), Oct late, Nov 無個案 on time, Dec and Jan not filed
        paper(a, (2024, 8), (2024, 9, 5))
        paper(a, (2024, 9), (2024, 10, 10))
        paper(a, (2024, 10), (2024, 11, 11))
        no_cases(a, (2024, 11), (2024, 12, 2))
        a.report(2024, 9).admin_reopen(dt.date(2025, 1, 31), "資料誤植", "admin1", at(2025, 1, 16))
        # B (opened 15 Nov): Nov on time, Dec 無個案 late, Jan not filed
        paper(b, (2024, 11), (2024, 12, 5))
        no_cases(b, (2024, 12), (2025, 1, 15))
        # C: Aug on time, Oct filed while open, then closed at the end of September
        paper(c, (2024, 8), (2024, 9, 1))
        paper(c, (2024, 10), (2024, 11, 5))
        c.closed_on = dt.date(2024, 9, 30)
        # D: nothing filed, January 「無需填報」
        d.report(2025, 1, create=True).admin_exempt("併校", "admin1", at(2025, 1, 12))
    rates.CACHE.clear()
    with portal() as root:
        yield root["counties"]["65000"]


def fields(tally):
    return (tally.expected, tally.on_time, tally.late, tally.no_cases, tally.not_filed,
            tally.amendment, tally.exempt, tally.outside)


def test_the_year_so_far_matches_the_hand_count(county):
    year = rates.compute_county(county, 113, TODAY)
    # expected 6 + 3 + 2 + 5; on time 3 + 1 + 1; late 1 + 1; 無個案 1 + 1; not filed 2 + 1 + 1 + 5
    assert fields(year.total()) == (16, 5, 2, 2, 9, 1, 1, 1)
    assert year.total().shown() == "5 / 16，31.2 %"
    assert year.total().shown("late") == "2 / 16，12.5 %"


def test_each_unit_and_month(county):
    year = rates.compute_county(county, 113, TODAY)
    units = {u.code: u for u in year.units}
    assert fields(year.unit_tally(units["100001"])) == (6, 3, 1, 1, 2, 1, 0, 0)
    assert fields(year.unit_tally(units["100002"])) == (3, 1, 1, 1, 1, 0, 0, 0)
    assert fields(year.unit_tally(units["100003"])) == (2, 1, 0, 0, 1, 0, 0, 1)
    assert fields(year.unit_tally(units["100004"])) == (5, 0, 0, 0, 5, 0, 1, 0)
    # October: A late, B not yet open (closed), C filed outside its open months, D not filed
    assert fields(year.total((2024, 10))) == (2, 0, 1, 0, 1, 0, 0, 1)
    assert units["100002"].cells[(2024, 10)].category == rates.CLOSED
    assert units["100003"].cells[(2024, 10)].category == rates.OUTSIDE
    # February has not opened: nothing is expected yet
    assert fields(year.total((2025, 2))) == (0,) * 8
    assert year.total((2025, 2)).shown() == "0 / 0，—"


def test_levels(county):
    year = rates.compute_county(county, 113, TODAY)
    levels = year.levels()
    assert fields(levels["國小"])[:5] == (9, 4, 2, 2, 3)
    assert fields(levels["國中"])[:5] == (7, 1, 0, 0, 6)


def test_no_rate_passes_100_percent(county):
    year = rates.compute_county(county, 113, TODAY)
    for unit in year.units:
        for ym in year.months():
            tally = year.unit_tally(unit, ym)
            assert tally.filed <= tally.expected <= 1
    for ym in year.months():
        assert year.total(ym).filed <= year.total(ym).expected


def test_a_deadline_extension_makes_a_late_filing_on_time(county, portal):
    from cgs_portal.admin import extensions

    with portal() as root:
        extensions.put(root, "65000", 2024, 10, dt.date(2024, 11, 15), "颱風", "admin1", at(2024, 11, 8))
    with portal() as root:
        year = rates.compute_county(root["counties"]["65000"], 113, TODAY)
        assert year.total((2024, 10)).on_time == 1 and year.total((2024, 10)).late == 0


def test_the_cache_follows_the_filing_generation(county, portal):
    cached = rates.CACHE.county(county, 113, TODAY)
    assert rates.CACHE.county(county, 113, TODAY) is cached
    with portal() as root:
        unit = root["counties"]["65000"]["100001"]
        unit.report(2024, 12, create=True).admin_record("paper", "紙本", "admin1", at(2025, 1, 18))
    with portal() as root:
        fresh = rates.CACHE.county(root["counties"]["65000"], 113, TODAY)
        assert fresh is not cached and fresh.total().late == 3


def test_the_cache_follows_a_closing_date(county, portal):
    cached = rates.CACHE.county(county, 113, TODAY)
    with portal() as root:
        root["counties"]["65000"]["100004"].closed_on = dt.date(2024, 10, 31)
    with portal() as root:
        fresh = rates.CACHE.county(root["counties"]["65000"], 113, TODAY)
        assert fresh is not cached and fresh.total().expected == 16 - 2


@pytest.mark.parametrize(("share", "name"), [(None, "rate-none"), (1.0, "rate-5"), (0.9, "rate-4"),
                                             (0.7, "rate-3"), (0.5, "rate-2"), (0.1, "rate-1")])
def test_shades(share, name):
    assert rates.shade(share) == name
