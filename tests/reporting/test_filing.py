"""工作填報 through the pages: 當期填報, uploads with errors and warnings, no cases, bad input."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from helpers import UNIT, at, month_page, no_cases, upload

from cgs_portal.reporting import workflow
from support import csrf_token, login

pytestmark = pytest.mark.all_storages  # also on ZEO and RelStorage (tests/storages)


def state(portal, key="2024-09", ay="113"):
    with portal() as root:
        unit = root["counties"]["65000"]["013601"]
        report = unit[ay][key] if ay in unit and key in unit[ay] else None
        import datetime as dt

        today = dt.date(2024, 10, 3)
        return workflow.effective_state(report, int(key[:4]), int(key[5:]), today) if report else None


def test_instructions_page_lists_versions_and_marks_the_one_in_force(testapp, world):
    login(testapp, world["unit"])
    page = testapp.get("/filing")
    rows = page.html.select("#template-versions tbody tr")
    marked = [r.select_one("td").get_text(" ", strip=True) for r in rows if r.select(".in-force")]
    assert marked == ["113學年度 本學期適用", "113學年度（輔諮中心） 本學期適用"]
    assert "111學年度" in page.text
    link = page.html.select_one("a[href$='template-113-blank.xlsx']")["href"]
    data = testapp.get(link).body
    assert zipfile.is_zipfile(io.BytesIO(data))
    assert testapp.get("/template-113-example.xlsx").body[:2] == b"PK"
    assert testapp.get("/template-111-guide.xlsx").body[:2] == b"PK"
    # the tabs lead to the unit's own pages
    assert page.html.select_one("#tab-current")["href"].endswith(UNIT + "current")
    # 操作文件下載 lists the templates too
    assert "template-113-blank.xlsx" in testapp.get("/documents").text


def test_current_month_follows_the_filing_window(testapp, world, clock):
    login(testapp, world["unit"])
    at(clock, 2024, 10, 3)
    page = testapp.get(UNIT + "current")
    assert page.html.select_one("#month-label").text == "113年9月"
    assert "upload-form" in page.forms and "no-cases-form" in page.forms
    at(clock, 2024, 10, 11)  # from the 11th, the current month may be filed early
    page = testapp.get(UNIT + "current")
    assert page.html.select_one("#month-label").text == "113年10月"
    assert "upload-form" in page.forms
    # November is not open yet: the page says why and since when
    page = month_page(testapp, "2024-11")
    assert "尚未開放" in page.html.select_one("#refusal").text
    assert "113/11/11" in page.html.select_one("#refusal").text
    assert "upload-form" not in page.forms


def test_upload_with_errors_is_not_filed_and_offers_the_annotated_workbook(testapp, world, portal, make_workbook):
    login(testapp, world["unit"])

    def spoil(cases, services):
        cases[0][3] = 9  # grade 9 at a primary school: invalid (red)
        cases[1][0] = ""  # teacher code missing (yellow)

    page = upload(testapp, "2024-09", make_workbook(mutate=spoil))
    errors = page.html.select("#problem-table tbody tr")
    assert len(errors) >= 2
    text = page.html.select_one("#problem-table").text
    assert "表A-1" in text and "學生年級" in text
    assert "尚未完成填報" in page.text
    assert state(portal) == workflow.OPEN
    annotated = testapp.get(page.html.select_one("#annotated-download")["href"])
    assert annotated.content_type.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(annotated.body))
    sheet = book[[n for n in book.sheetnames if n.startswith("表A-1")][0]]
    fills = {c.coordinate: c.fill.fgColor.rgb for row in sheet.iter_rows(min_row=6, max_row=7) for c in row
             if c.comment is not None}
    assert "D6" in fills and "A7" in fills
    assert fills["D6"] != fills["A7"]  # red for invalid, yellow for missing

    # fixed and uploaded again: filed, with the summary and the stored rows
    page = upload(testapp, "2024-09", make_workbook())
    assert "已完成填報" in page.html.select_one("#filed").text
    assert page.html.select_one("#count-cases").text == "5"
    assert page.html.select_one("#count-services").text == "4"
    assert state(portal) == workflow.SUBMITTED
    rows = testapp.get(page.html.select_one("#view-rows")["href"])
    assert len(rows.html.select("#sheet-cases tbody tr")) == 5
    assert len(rows.html.select("#sheet-services tbody tr")) == 4
    with portal() as root:
        report = root["counties"]["65000"]["013601"]["113"]["2024-09"]
        assert [u.status for u in report.uploads] == ["refused", "filed"]
        assert report.filing.late is False
        assert report.history[-1].to_state == workflow.SUBMITTED
        assert report.history[-1].by == world["unit"]


def test_no_cases_needs_a_confirmation_and_a_double_submit_is_refused(testapp, world, portal):
    login(testapp, world["unit"])
    page = no_cases(testapp, "2024-09", confirm=False)
    assert "請勾選" in page.text
    form = month_page(testapp, "2024-09").forms["no-cases-form"]
    form["confirm"] = "yes"
    first = form.submit().follow()
    assert "已完成填報（當月無個案及服務）" in first.text
    second = form.submit().follow()  # the same form again: a double click or a second tab
    assert "此月份已於 113/10/03 09:00 完成填報" in second.text
    with portal() as root:
        report = root["counties"]["65000"]["013601"]["113"]["2024-09"]
        assert len(report.filings) == 1
        assert report.state == workflow.SUBMITTED_NO_CASES


def test_two_tabs_uploading_the_same_month(testapp, world, portal, make_workbook):
    from webtest import Upload

    login(testapp, world["unit"])
    tab1 = month_page(testapp, "2024-09").forms["upload-form"]
    tab2 = month_page(testapp, "2024-09").forms["upload-form"]
    tab1["workbook"] = Upload("a.xlsx", make_workbook(seed=1))
    tab2["workbook"] = Upload("b.xlsx", make_workbook(seed=2))
    assert "已完成填報" in tab1.submit().follow().text
    page = tab2.submit().follow()
    assert "此月份已於" in page.text and "完成填報" in page.text
    with portal() as root:
        report = root["counties"]["65000"]["013601"]["113"]["2024-09"]
        assert len(report.filings) == 1 and len(report.uploads) == 1


def test_warnings_are_confirmed_before_filing(testapp, world, portal, make_workbook):
    login(testapp, world["unit"])

    def busy(cases, services):
        for row in cases:
            row[0] = "T01"
            row[1] = 1
            row[13] = 20  # 5 × 20 = 100 sessions for one teacher: more than 60

    page = upload(testapp, "2024-09", make_workbook(mutate=busy))
    assert "超過 60 次" in page.html.select_one("#warnings").text
    assert "尚未完成填報" in page.text
    assert state(portal) == workflow.OPEN
    page = page.forms["confirm-form"].submit().follow()
    assert "已完成填報" in page.html.select_one("#filed").text
    assert state(portal) == workflow.SUBMITTED
    with portal() as root:
        filing = root["counties"]["65000"]["013601"]["113"]["2024-09"].filing
        assert filing.warnings_confirmed


def test_case_count_three_times_last_month_is_a_warning(testapp, world, portal, make_workbook, clock):
    login(testapp, world["unit"])
    at(clock, 2024, 9, 5)
    upload(testapp, "2024-08", make_workbook(month=8, cases=2))
    at(clock, 2024, 10, 3)
    page = upload(testapp, "2024-09", make_workbook(cases=12, seed=9))
    assert "三倍" in page.html.select_one("#warnings").text


def test_bad_files_get_clear_messages_and_nothing_is_filed(testapp, world, portal, make_workbook):
    login(testapp, world["unit"])
    cases = {
        "not-excel.pdf": (b"%PDF-1.4 not a workbook", None),
        "empty.xlsx": (b"", "是空的"),
        "other-unit.xlsx": (make_workbook(unit_code="013501"), "單位代碼不符"),
        "other-month.xlsx": (make_workbook(month=8), "填報年月不符"),
        "old-version.xlsx": (make_workbook(version="111"), "113學年度"),
        "encrypted.xlsx": (load_corpus_file("make_encrypted"), None),
    }
    for name, (data, phrase) in cases.items():
        page = upload(testapp, "2024-09", data, filename=name)
        message = (page.html.select_one("#fatal") or page.html.select_one(".alert-danger")).text
        assert "未" in message, name
        if phrase:
            assert phrase in message, (name, message)
    big = b"PK" + b"0" * (10 * 1024 * 1024 + 10)
    page = upload(testapp, "2024-09", big, filename="big.xlsx")
    assert "10 MB" in page.text
    assert state(portal) == workflow.OPEN


def load_corpus_file(name):
    from support import load_corpus

    corpus = load_corpus()

    return getattr(corpus, name)()


def test_unit_never_sees_another_units_reports(app, testapp, world, portal, make_workbook):
    import webtest

    login(testapp, world["unit"])
    data = make_workbook()
    upload(testapp, "2024-09", data)
    report_url = UNIT + "113/2024-09/"
    other = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.77"})
    login(other, world["other_unit"])
    # issue 10, item 18: outside the caller's scope a refusal is the 404 page (was 403)
    for path in ("", "rows", "annotated?upload=1", "original?upload=1"):
        assert other.get(report_url + path, status=404)
    for path in ("current", "overdue", "amend", "year", "month?m=2024-09"):
        assert other.get(UNIT + path, status=404)
    token = csrf_token(other)
    other.post(UNIT + "no-cases", {"m": "2024-09", "serial": "1", "confirm": "yes", "csrf_token": token},
               status=404)
    other.post(UNIT + "amend", {"m": "2024-09", "reason": "x", "csrf_token": token}, status=404)
    county = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.78"})
    login(county, world["county"])
    assert "已填報" in county.get(report_url).text  # county officials see states …
    county.get(report_url + "rows", status=404)  # … never rows
    county.get(report_url + "original?upload=1", status=404)
    admin = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.79"})
    login(admin, world["admin"])
    original = admin.get(report_url + "original?upload=1")
    assert original.body == data
    assert "attachment" in original.headers["Content-Disposition"]


def test_a_retried_upload_is_stored_once(testapp, world, portal, make_workbook, monkeypatch):
    """pyramid_retry replays a request after a ConflictError: the replay must not file twice."""
    from ZODB.POSException import ConflictError

    from cgs_portal.resources import MonthlyReport

    real = MonthlyReport.file
    calls = []

    def conflicting(*args, **kw):
        calls.append(1)
        filing = real(*args, **kw)
        if len(calls) == 1:
            raise ConflictError("simulated concurrent write")
        return filing

    monkeypatch.setattr(MonthlyReport, "file", conflicting)
    login(testapp, world["unit"])
    page = upload(testapp, "2024-09", make_workbook())
    assert len(calls) == 2
    assert "已完成填報" in page.html.select_one("#filed").text
    with portal() as root:
        report = root["counties"]["65000"]["013601"]["113"]["2024-09"]
        assert len(report.uploads) == 1 and len(report.filings) == 1 and len(report.history) == 1


def test_an_upload_stored_in_another_tab_while_a_workbook_is_read_does_not_make_it_retry(
        app, testapp, world, portal, make_workbook, monkeypatch, tmp_path):
    """The upload is validated before the transaction that stores it begins: what another
    tab stores meanwhile (here an upload of the same month) cannot make its commit conflict
    and the whole request run again, validation included (bench/peak.py saw long uploads
    conflict five times in a row this way and get the 503 page)."""
    from cgs_portal.reporting import intake, service

    real = intake.validate
    calls = []
    other = tmp_path / "other.xlsx"
    other.write_bytes(make_workbook())

    def validate_while_another_tab_uploads(*args, **kw):
        calls.append(1)
        result = real(*args, **kw)
        if len(calls) == 1:
            with portal() as root:
                unit = root["counties"]["65000"]["013601"]
                service.store_upload(unit, unit.report(2024, 9, create=True), str(other), "other.xlsx",
                                     "another tab", dt.datetime(2024, 10, 3, 9, 0))
        return result

    monkeypatch.setattr(intake, "validate", validate_while_another_tab_uploads)
    login(testapp, world["unit"])
    page = upload(testapp, "2024-09", make_workbook())
    assert "已完成填報" in page.html.select_one("#filed").text
    assert len(calls) == 2  # the other tab's upload, then this one: once each
    assert app.registry.cgs_retries.snapshot() == {}
    with portal() as root:
        report = root["counties"]["65000"]["013601"]["113"]["2024-09"]
        assert [u.status for u in report.uploads] == ["superseded", "filed"]
        assert len(report.filings) == 1


def test_odd_requests_get_messages_not_errors(app, testapp, world):
    import webtest

    login(testapp, world["unit"])
    token = csrf_token(testapp)
    assert testapp.get(UNIT + "month", {"m": "garbage"}).html.select_one("#month-label").text == "113年9月"
    assert testapp.get(UNIT + "year", {"ay": "abc"}).status_int == 200
    assert testapp.get(UNIT + "unit-template.xlsx", {"m": "2024-09"}).body[:2] == b"PK"
    page = testapp.post(UNIT + "upload", {"csrf_token": token, "m": "2024-09", "serial": "0"}).follow()
    assert "請選擇要上傳的 Excel 檔" in page.text
    page = testapp.post(UNIT + "upload", {"csrf_token": token, "serial": "0"}).follow()
    assert "請選擇要填報的月份" in page.text
    page = testapp.post(UNIT + "confirm", {"csrf_token": token, "m": "2024-09", "upload": "7"}).follow()
    assert "找不到要確認的上傳檔案" in page.text
    page = testapp.post(UNIT + "no-cases", {"csrf_token": token, "m": "2024-09", "serial": "5",
                                             "confirm": "yes"}).follow()
    assert "此頁面已過期" in page.text
    testapp.get(UNIT + "113/2024-09/annotated", status=404)
    testapp.post(UNIT + "upload", {"m": "2024-09"}, status=400)  # no CSRF token
    admin = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.61"})
    login(admin, world["admin"])
    page = admin.post("/amendments", {"csrf_token": csrf_token(admin), "report": "x/y/z",
                                      "decision": "approve"}).follow()
    assert "請選擇要處理的申請" in page.text


def test_two_tabs_submitting_at_the_same_moment(app, world, portal, monkeypatch):
    """Both requests reach the filing together: one files, the replayed one is refused."""
    import threading

    import webtest

    from cgs_portal.resources import MonthlyReport

    barrier = threading.Barrier(2, timeout=10)
    real = MonthlyReport.file_no_cases
    local = threading.local()

    def together(*args, **kw):
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()
        return real(*args, **kw)

    monkeypatch.setattr(MonthlyReport, "file_no_cases", together)
    forms = []
    for i in range(2):
        tab = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": f"192.0.2.{80 + i}"})
        login(tab, world["unit"])
        form = tab.get(UNIT + "month", {"m": "2024-09"}).forms["no-cases-form"]
        form["confirm"] = "yes"
        forms.append(form)
    pages = [None, None]

    def submit(i):
        pages[i] = forms[i].submit().follow()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    flashes = sorted(" ".join(a.text for a in p.html.select(".alert-success, .alert-danger")) for p in pages)
    assert sum("已完成填報（當月無個案及服務）" in t for t in flashes) == 1
    assert sum("此月份已於 113/10/03 09:00 完成填報" in t and "另一個視窗" in t for t in flashes) == 1
    with portal() as root:
        report = root["counties"]["65000"]["013601"]["113"]["2024-09"]
        assert len(report.filings) == 1 and len(report.history) == 1


def test_the_blank_template_from_the_instructions_files_without_typing_unit_and_month(testapp, world, portal):
    """Issue 10, item 21: blank 單位代碼 / 填報年月 are taken from the page, with a notice."""
    from cgs_portal.reporting import intake
    from support import load_corpus

    corpus = load_corpus()
    login(testapp, world["unit"])
    blank = testapp.get("/template-113-blank.xlsx").body
    version = corpus.VERSIONS["113"]
    data = corpus.fill_template(blank, {
        version.sheet("cases").title: (6, corpus.random_rows("113", "cases", 3, seed=3, grades=(1, 2))),
        version.sheet("services").title: (5, corpus.random_rows("113", "services", 2, seed=4, grades=(1, 2)))})
    assert intake.MAX_BYTES > len(data)
    page = upload(testapp, "2024-09", data)
    assert page.html.select_one("#filed") is not None, page.html.select_one("#result").text
    notices = page.html.select_one("#notices").text
    assert "013601" in notices and "113年9月" in notices


def test_only_workbooks_read_cell_by_cell_have_an_annotated_copy(testapp, world, make_workbook):
    """Issue 10, item 24: a PDF refused as a whole is not served back as …_檢核結果.xlsx."""
    from support import load_corpus

    login(testapp, world["unit"])
    page = upload(testapp, "2024-09", load_corpus().make_pdf(), filename="scan.pdf")
    assert page.html.select_one("#fatal") is not None
    assert page.html.select_one("#annotated-download") is None
    report = testapp.get(UNIT + "113/2024-09/")
    row = report.html.select("#uploads tbody tr")[0]
    assert "原始檔" in row.text and "標示檔" not in row.text
    missing = testapp.get(UNIT + "113/2024-09/annotated", {"upload": "1"}, status=404)
    assert "找不到" in missing.text or "404" in missing.text

    def spoil(cases, services):
        cases[0][3] = 9
    upload(testapp, "2024-09", make_workbook(mutate=spoil))
    row = testapp.get(UNIT + "113/2024-09/").html.select("#uploads tbody tr")[1]
    assert "標示檔" in row.text
    assert testapp.get(UNIT + "113/2024-09/annotated", {"upload": "2"}).body[:2] == b"PK"
