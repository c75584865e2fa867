"""Page-level helpers for the filing tests."""
from __future__ import annotations

import datetime as dt

from webtest import Upload

UNIT = "/counties/65000/013601/"
TAIPEI = dt.timezone(dt.timedelta(hours=8))


def at(clock, y, m, d, hh=9):
    clock.set_now(dt.datetime(y, m, d, hh, 0, tzinfo=TAIPEI))


def month_page(testapp, key):
    return testapp.get(UNIT + "month", {"m": key})


def upload(testapp, key, data, filename="填報.xlsx"):
    """Submit the upload form of month ``key``; returns the page after the redirect."""
    page = month_page(testapp, key)
    form = page.forms["upload-form"]
    form["workbook"] = Upload(filename, data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return form.submit().follow()


def no_cases(testapp, key, confirm=True):
    form = month_page(testapp, key).forms["no-cases-form"]
    if confirm:
        form["confirm"] = "yes"
    return form.submit().follow()
