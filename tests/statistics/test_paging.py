"""統計查詢 grouped by 單位, paged on the server: totals on every page, suppression as the
whole result, the download all rows, the chart the page's groups, forged page numbers."""
from __future__ import annotations

import io
import json

import openpyxl
import pytest
from stats_fixture import OCT, SEP, case, small_index

from support import add_unit, login

RUN = {"run": "1", "year": "113", "month": ["9", "10"], "group": "unit", "measure": "persons"}
UNITS = ["013501", "013502", "013601", "333601", "333602", "333603"]  # the engine's order: by code


@pytest.fixture
def settings(settings):
    return {**settings, "cgs.stats_page_size": "2"}  # six units: three pages


@pytest.fixture
def data(world, portal, filed):
    with portal() as root:
        add_unit(root, "013502", "新北市立示範信義國民中學", "國中", "65000")
        add_unit(root, "333602", "臺北市立示範大同國民小學", "國小", "63000")
        add_unit(root, "333603", "臺北市立示範士林國民小學", "國小", "63000")

    def students(prefix, n, grade, main, sex=None):
        return [case("T1", 1, f"{prefix}{i}", grade, sex or 1 + i % 2, main) for i in range(n)]

    filed("013501", 2024, 9, students("A", 5, 7, 5) + students("B", 1, 8, 1))
    filed("013501", 2024, 10, students("A", 2, 7, 5))
    filed("013502", 2024, 9, students("C", 4, 7, 5))
    filed("013601", 2024, 9, SEP)
    filed("013601", 2024, 10, OCT)
    filed("333601", 2024, 9, students("D", 4, 2, 1))
    filed("333602", 2024, 10, students("E", 2, 3, 5))
    filed("333603", 2024, 9, students("F", 6, 4, 3, sex=2))
    return world


def get(testapp, page="stats-cases", **params):
    return testapp.get(f"/{page}", {**RUN, **params})


def text(element) -> str:
    return " ".join(element.get_text().split())


def tables(page) -> list[list[list[str]]]:
    """Every result table of the page: rows of [header, cell texts...]."""
    return [[[tr.th.get_text(strip=True)] + [td.get_text(strip=True) for td in tr.select("td")]
             for tr in table.select("tbody tr")] for table in page.html.select("table.stats-table")]


def workbook_blocks(response) -> dict:
    """{row label: [cells]} per block of the download, in order (a block starts at its header)."""
    sheet = openpyxl.load_workbook(io.BytesIO(response.body))["統計結果"]
    blocks, current = [], None
    for row in sheet.iter_rows(values_only=True):
        if row and row[0] == "單位":
            current = {}
            blocks.append(current)
        elif current is not None and row and row[0] and len(row) > 1 and row[1] is not None:
            current[row[0]] = ["" if v is None else str(v) for v in row[1:]]
    return blocks


def test_group_rows_are_paged_and_the_totals_are_on_every_page(testapp, data):
    login(testapp, data["admin"])
    pages = [get(testapp, layout="monthly", pg=str(n)) for n in (1, 2, 3)]
    seen = []
    totals = None
    for number, page in enumerate(pages, start=1):
        shown = tables(page)
        assert len(shown) == 3  # 113年9月, 113年10月, 合計: every block is paged alike
        labels = [[row[0] for row in table] for table in shown]
        assert all(rows == labels[0] for rows in labels)
        assert labels[0][-1] == "合計" and len(labels[0]) == 3  # two units and the total row
        seen += [label.split()[0] for label in labels[0][:-1]]
        page_totals = [table[-1] for table in shown]
        assert totals is None or page_totals == totals  # the same 合計 rows on every page
        totals = page_totals
        nav = page.html.select_one("nav#pager-top")
        assert nav["aria-label"].startswith("統計表分頁")
        assert text(nav.select_one("[aria-current=page]")) == f"第 {number} 頁（目前頁）"
        info = page.html.select_one("#stats-page-info").get_text(strip=True)
        assert f"第 {number} / 3 頁" in info and "共 6 個" in info
        assert page.html.select_one("#pager-bottom") is not None
    assert seen == UNITS  # every unit once, in the engine's order
    first, last = pages[0].html, pages[2].html
    assert first.select_one("#top-prev-page") is None and first.select_one("#top-next-page") is not None
    assert last.select_one("#top-next-page") is None and last.select_one("#top-prev-page") is not None
    following = testapp.get(first.select_one("#top-next-page")["href"])
    assert tables(following) == tables(pages[1])


def test_suppression_on_each_page_is_the_whole_results(testapp, data):
    """A page shows exactly the cells of the whole result (the download): the complement of
    a small cell may sit on another page and stays hidden; nothing is suppressed again."""
    login(testapp, data["admin"])
    pages = [get(testapp, pg=str(n)) for n in (1, 2, 3)]
    link = pages[0].html.select_one("#download")["href"]
    assert all(page.html.select_one("#download")["href"] == link for page in pages)
    assert "pg=" not in link and "run" not in link
    whole = workbook_blocks(testapp.get(link))
    assert len(whole) == 1 and len(whole[0]) == len(UNITS) + 1  # every unit and the total
    hidden = 0
    for page in pages:
        for row in tables(page)[0]:
            assert row[1:] == whole[0][row[0]][: len(row) - 1]
            hidden += row.count("<3")
    assert hidden >= 2 and any("<3" in row for row in tables(pages[1])[0])


def test_a_page_slices_the_suppressed_result_and_never_suppresses_again():
    from cgs_portal.statistics import paging
    from cgs_portal.statistics.query import Query, Scope, run

    result = run(small_index(), Query("I", "persons", ((2024, 9), (2024, 10)), group="unit",
                                      layout="monthly"), Scope("nation"))
    assert paging.group_count(result) == 2 and len(result.blocks) == 3
    assert any(block.suppressed.any() for block in result.blocks)
    assert paging.page_of(result, 1, 2).result is result  # one page: the result itself
    for number in (1, 2):
        page = paging.page_of(result, number, 1)
        assert (page.number, page.pages, page.first, page.last, page.groups) == (number, 2, number, number, 2)
        keep = [number - 1, -1]
        for cut, full in zip(page.result.blocks, result.blocks, strict=True):
            assert cut.rows == [full.rows[number - 1], "合計"]
            assert (cut.values == full.values[keep]).all()
            assert (cut.suppressed == full.suppressed[keep]).all()  # the whole table's mask
    clamped = paging.page_of(result, 99, 1)
    assert clamped.number == 2 and clamped.clamped and clamped.asked == 99
    drawn = paging.chart_source(paging.page_of(result, 1, 1))
    assert len(drawn.blocks) == 1 and drawn.blocks[0].caption == "合計"  # each unit over the months


def test_the_chart_draws_the_groups_of_the_page_and_says_so(testapp, data):
    login(testapp, data["admin"])
    page = get(testapp, layout="monthly", pg="2")
    chart = json.loads(page.html.select_one("#stats-chart-data").text)
    shown = tables(page)
    assert chart["labels"] == [row[0] for row in shown[-1][:-1]]  # the page's two units
    # the bars are each unit's total over the months (the 合計 block), 男 + 女 stacked
    total = {row[0]: row for row in shown[-1]}
    for i, label in enumerate(chart["labels"]):
        values = [d["data"][i] for d in chart["datasets"]]
        cells = total[label][-3:-1]  # the 合計 column's 男, 女
        assert [("<3" if v is None else str(v)) for v in values] == cells
    label = page.html.select_one("#stats-chart")["aria-label"]
    assert "第 2 / 3 頁" in label and "第 3–4 個單位" in label and "共 6 個" in label and "各月合計" in label
    assert "第 2 / 3 頁" in page.html.select_one("#stats-chart-caption").text


@pytest.mark.parametrize("asked, shown, message", [
    ("0", 1, "頁碼有誤"), ("-1", 1, "頁碼有誤"), ("abc", 1, "頁碼有誤"), ("1.5", 1, "頁碼有誤"),
    ("9" * 400, 1, "頁碼有誤"), ("99999", 3, "第 99999 頁不存在（共 3 頁），已顯示第 3 頁"), ("3", 3, None),
])
def test_a_forged_page_number_gets_a_clear_message_or_the_last_page(testapp, data, asked, shown, message):
    login(testapp, data["admin"])
    page = get(testapp, pg=asked)
    assert page.status_int == 200
    note = page.html.select_one("#stats-page-note")
    assert (note is None) if message is None else message in note.text
    current = text(page.html.select_one("#pager-top [aria-current=page]"))
    assert current == f"第 {shown} 頁（目前頁）"
    assert page.html.select_one("#stats-errors") is None  # the query itself is fine
    response = testapp.get("/stats-download", {**RUN, "pg": asked})  # the download ignores it
    assert len(workbook_blocks(response)[0]) == len(UNITS) + 1


def test_the_pager_carries_the_query_shown_and_nothing_else(testapp, data):
    login(testapp, data["admin"])
    page = get(testapp, unit="333601", county="63000", sex="female")
    links = [a["href"] for a in page.html.select("#pager-top a")]
    assert links and all("sex=female" in url and "group=unit" in url and "run=1" in url for url in links)
    assert not any("unit=333601" in url or "county=" in url for url in links)
    jump = page.html.select_one("#page-jump")
    fields = [(i["name"], i["value"]) for i in jump.select("input[type=hidden]")]
    assert ("sex", "female") in fields and ("run", "1") in fields and ("pg", "1") not in fields
    assert jump.select_one("#page-jump-number")["max"] == "3"
    jumped = testapp.get(jump["action"], fields + [("pg", "3")])
    assert [row[0].split()[0] for row in tables(jumped)[0][:-1]] == UNITS[4:]


def test_ungrouped_tables_and_a_units_own_table_are_not_paged(testapp, data):
    login(testapp, data["admin"])
    page = get(testapp, group="none")
    assert page.html.select_one("#pager-top") is None
    assert len(tables(page)[0]) > 2  # every table row, though more than a page's size
    assert "aria-label" in str(page.html.select_one("#stats-chart")) and "頁" not in page.html.select_one(
        "#stats-chart")["aria-label"]
    page = get(testapp, group="none", pg="2")
    assert "第 2 頁不存在（共 1 頁）" in page.html.select_one("#stats-page-note").text
    login(testapp, data["unit"])
    page = get(testapp)  # a unit's scope: no groups, whatever the link says
    assert page.html.select_one("#pager-top") is None


def test_an_empty_grouped_result_has_no_pager(testapp, data):
    login(testapp, data["admin"])
    page = get(testapp, year="112")  # no filings: every unit's row would be zeros
    assert page.html.select_one("#stats-empty") is not None
    assert page.html.select_one("#pager-top") is None and "頁" not in page.html.select_one("#download-hint").text


def test_a_county_grouped_by_county_fits_one_page(testapp, data):
    login(testapp, data["admin"])
    page = get(testapp, group="county")
    assert page.html.select_one("#pager-top") is None
    assert "繪出全部 2 個縣市" in page.html.select_one("#stats-chart")["aria-label"]


def test_recent_results_are_kept_only_while_the_index_is_unchanged():
    import datetime as dt

    from cgs_portal.statistics import paging
    from cgs_portal.statistics.index import FILED
    from cgs_portal.statistics.query import Query, Scope

    index = small_index()
    recent = paging.RecentResults(size=2)
    query, nation = Query("I", "visits", ((2024, 9), (2024, 10)), group="unit"), Scope("nation")
    first = recent.run(index, query, nation, 3)
    assert recent.run(index, query, nation, 3) is first  # the next page: not run again
    assert recent.run(small_index(), query, nation, 3) is not first  # another index
    index.replace("333601", 2024, 9, SEP, (), FILED, "z")  # a filing: a new answer
    refiled = recent.run(index, query, nation, 3)
    assert refiled is not first and refiled.blocks[0].values[-1].sum() > first.blocks[0].values[-1].sum()
    index.set_unit("333699", "新國小", "63000", "國小", "A", opened_on=dt.date(2022, 8, 1))  # a new unit
    grown = recent.run(index, query, nation, 3)
    assert paging.group_count(grown) == paging.group_count(refiled) + 1
    assert recent.run(index, Query("I", group="unit", months=((2024, 9),)), nation, 3) is not grown
    assert len(recent.kept) == 2  # the oldest went
    ungrouped = Query("I", "visits", ((2024, 9),))
    assert recent.run(index, ungrouped, nation, 3) is not recent.run(index, ungrouped, nation, 3)


def test_a_filing_between_two_pages_shows_on_the_next(testapp, data, filed):
    login(testapp, data["admin"])
    before = tables(get(testapp, pg="1"))[0][-1]
    filed("333603", 2024, 10, [case("T1", 1, "G1", 4, 1, 3)])
    after = tables(get(testapp, pg="2"))[0][-1]
    assert after != before and after[0] == "合計"
