"""Warnings are shown with the errors, counted when not shown, and in the annotated copy
(issue 10, item 23)."""
from __future__ import annotations

import io

import openpyxl
from helpers import at, upload

from support import login


def _busy_with_names(n_names, grade_error=True):
    """One teacher over 60 sessions, ``n_names`` student codes that look like names (one
    warning each) and, optionally, a grade error."""
    def mutate(cases, services):
        for i, row in enumerate(cases):
            row[0], row[1], row[13] = "T01", 1, 20
            if i < n_names:
                row[2] = "王" + chr(0x4E00 + i) + "明"
        for row in services:
            row[0], row[1] = "T01", 1
        if grade_error:
            cases[0][3] = 9
    return mutate


def test_warnings_are_shown_with_the_errors_and_counted(testapp, world, make_workbook):
    login(testapp, world["unit"])
    page = upload(testapp, "2024-09", make_workbook(cases=320, mutate=_busy_with_names(310)))
    assert page.html.select_one("#problem-table") is not None         # errors …
    warnings = page.html.select_one("#warnings")
    assert warnings is not None                                        # … and warnings
    text = warnings.text
    assert "超過 60 次" in text                                        # the whole-sheet one first
    items = warnings.select("li")
    assert "超過 60 次" in items[0].text
    assert len(items) == 300
    assert "另有 11 項" in page.html.select_one("#warnings-more").text   # 311 warnings in all


def test_the_annotated_copy_lists_the_warnings(testapp, world, make_workbook):
    login(testapp, world["unit"])
    page = upload(testapp, "2024-09", make_workbook(cases=8, mutate=_busy_with_names(2)))
    book = openpyxl.load_workbook(io.BytesIO(testapp.get(page.html.select_one("#annotated-download")["href"]).body))
    listed = [" ".join(str(c) for c in row if c is not None) for row in book["檢核結果"].iter_rows(values_only=True)]
    assert any("超過 60 次" in r and "提醒" in r for r in listed)
    assert any("學生代號疑似學生姓名" in r for r in listed)
    assert any("錯誤" in r for r in listed)


def test_a_valid_upload_with_warnings_offers_the_annotated_copy(testapp, world, make_workbook):
    login(testapp, world["unit"])
    page = upload(testapp, "2024-09", make_workbook(cases=5, mutate=_busy_with_names(0, grade_error=False)))
    assert page.html.select_one("#pending") is not None
    href = page.html.select_one("#annotated-download")["href"]
    book = openpyxl.load_workbook(io.BytesIO(testapp.get(href).body))
    assert "檢核結果" in book.sheetnames


def test_last_months_comparison_is_shown_even_with_errors(testapp, world, make_workbook, clock):
    login(testapp, world["unit"])
    at(clock, 2024, 9, 5)
    upload(testapp, "2024-08", make_workbook(month=8, cases=2))
    at(clock, 2024, 10, 3)

    def spoil(cases, services):
        cases[0][3] = 9
    page = upload(testapp, "2024-09", make_workbook(cases=12, seed=9, mutate=spoil))
    assert page.html.select_one("#problem-table") is not None
    assert "三倍" in page.html.select_one("#warnings").text
