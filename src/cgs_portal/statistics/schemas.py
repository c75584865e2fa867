"""The query string of 統計查詢: every filter of steps 1–3, parsed with Colander and bounded.

``parse(params, page, today)`` returns ``(Query | None, choices, errors)``: ``choices`` are
the values to show in the form again, ``errors`` Traditional Chinese messages. Nothing
read here can widen the caller's scope: the scope comes from the account, never from the
query string (a ``unit`` or ``county`` parameter is simply not a field).
"""
from __future__ import annotations

import colander

from .. import calendar
from .query import Query
from .tables import (
    CASE_PAGE,
    CATEGORY_MODES,
    GROUPS,
    LAYOUTS,
    MEASURES,
    SERVICE_PAGE,
    SEX_OPTIONS,
    TABLES,
)

MAX_MONTHS = 36
MAX_ITEMS = 20  # any multi-valued field: more values than codes exist is a forged link
MULTI = ("year", "month", "ay", "staff", "grades", "targets")
PAGE_PARAM = "pg"  # the page of a grouped result's rows; ``page`` names 個案 / 服務 in the download link
MAX_PAGE = 1_000_000
PAGES = {"cases": CASE_PAGE, "services": SERVICE_PAGE}


def _ints(name, lo, hi, label):
    return colander.SchemaNode(
        colander.Sequence(accept_scalar=True), colander.SchemaNode(
            colander.Integer(), validator=colander.Range(lo, hi, min_err=f"{label}超出範圍。",
                                                         max_err=f"{label}超出範圍。"),
            msg=f"{label}格式不正確。"),
        name=name, missing=(), validator=colander.Length(max=MAX_ITEMS, max_err=f"{label}選項過多。"))


def _choice(name, options, default, label):
    return colander.SchemaNode(colander.String(), name=name, missing=default,
                               validator=colander.OneOf(tuple(options), msg_err=f"{label}不是可選的項目。"))


class StatsQuery(colander.MappingSchema):
    def __init__(self, page: str, **kw):
        super().__init__(**kw)
        self.add(_choice("measure", MEASURES, "visits", "計量方式"))
        self.add(_choice("table", PAGES[page], PAGES[page][0], "統計資料表"))
        self.add(_choice("period", ("month", "ay"), "month", "時間區間"))
        self.add(_ints("year", 90, 250, "年"))
        self.add(_ints("month", 1, 12, "月"))
        self.add(_ints("ay", 90, 250, "學年度"))
        self.add(_choice("layout", LAYOUTS, "merged", "彙整方式"))
        self.add(_ints("staff", 1, 4, "輔導人力類型"))
        self.add(_ints("grades", 1, 12, "年級"))
        self.add(_choice("category", CATEGORY_MODES, "both", "統計類別"))
        self.add(_choice("sex", SEX_OPTIONS, "all", "性別"))
        self.add(_ints("targets", 1, 15, "服務對象"))
        self.add(_choice("group", GROUPS, "none", "分組方式"))
        self.add(colander.SchemaNode(colander.Boolean(), name="compare", missing=False))


LABELS = {"measure": "計量方式", "table": "統計資料表", "period": "時間區間", "year": "年", "month": "月",
          "ay": "學年度", "layout": "彙整方式", "staff": "輔導人力類型", "grades": "年級",
          "category": "統計類別", "sex": "性別", "targets": "服務對象", "group": "分組方式",
          "compare": "去年同期比較"}


def _message(key: str, text: str) -> str:
    """Our own message, or (for a value Colander's type refused) 「…格式不正確」."""
    label = LABELS.get(key.split(".")[0], "查詢條件")
    return text if text.startswith(label) else f"{label}格式不正確。"


def cstruct(params) -> dict:
    out = {}
    for name in ("measure", "table", "period", "layout", "category", "sex", "group", "compare"):
        value = params.get(name)
        if value is not None:
            out[name] = value[:40]
    for name in MULTI:
        values = params.getall(name) if hasattr(params, "getall") else params.get(name, [])
        if values:
            out[name] = [v[:12] for v in values[: MAX_ITEMS + 1]]
    return out


def default_choices(page: str, today, family: str | None = None) -> dict:
    year, month = calendar.previous_month(today.year, today.month)
    table = PAGES[page][0]
    if family == "B":
        table = table.lower()
    return {"measure": "visits", "table": table, "period": "month",
            "year": (calendar.roc_year(year),), "month": (month,), "ay": (calendar.academic_year_of(today),),
            "layout": "merged", "staff": (), "grades": (), "category": "both", "sex": "all",
            "targets": (), "group": "none", "compare": False}


def months_of(choices: dict) -> list:
    if choices["period"] == "ay":
        return sorted({ym for ay in choices["ay"] for ym in calendar.academic_year_months(ay)})
    return sorted({(calendar.ad_year(y), m) for y in choices["year"] for m in choices["month"]})


def latest_month(today, table: str = "") -> tuple[int, int]:
    """The last (year, month) any unit can have filed by ``today``: this month (a month may be
    filed early, from the 11th of the month itself, ``calendar.FilingWindow``). For the
    filing states (表IX / 表ix) the month whose filing has opened, so no unit counts as
    未填報 for a month nobody could file yet."""
    this = (today.year, today.month)
    if table in TABLES and TABLES[table].source == "status" and calendar.FilingWindow(*this).opens > today:
        return calendar.previous_month(*this)
    return this


def months_not_yet_fileable(months, today, table: str = "") -> list:
    """The chosen months after ``latest_month``: left out of the query (a 學年度 in progress
    stops there)."""
    last = latest_month(today, table)
    return [m for m in months if m > last]


def period_note(choices: dict, today) -> str:
    """What the page says when some chosen months were left out (not yet open for filing)."""
    later = months_not_yet_fileable(months_of(choices), today, choices["table"])
    if not later:
        return ""
    return f"尚未開放填報的月份不列入查詢：{calendar.roc_month_label(*later[0])}起共 {len(later)} 個月。"


def parse(params, page: str, today, family: str | None = None):
    """(Query or None, choices for the form, error messages)."""
    schema = StatsQuery(page)
    choices = default_choices(page, today, family)
    errors = []
    given = cstruct(params)
    try:
        values = schema.deserialize(given)
    except colander.Invalid as invalid:
        errors = sorted({_message(key, text) for key, text in invalid.asdict().items()})
        return None, choices, errors
    # what the query string gives replaces the default; the rest keeps the defaults
    choices.update({k: (tuple(v) if isinstance(v, list) else v) for k, v in values.items()
                    if k in given})
    months = months_of(choices)
    later = months_not_yet_fileable(months, today, choices["table"])
    if months and len(later) == len(months):
        last = calendar.roc_month_label(*latest_month(today, choices["table"]))
        errors.append(f"所選的月份尚未開放填報，還沒有資料：請選擇 {last}（含）以前的月份。")
    months = [m for m in months if m not in later]
    if not months and not errors:
        errors.append("請選擇時間區間：年與月，或學年度。")
    elif len(months) > MAX_MONTHS:
        errors.append(f"時間區間最多 {MAX_MONTHS} 個月，目前選了 {len(months)} 個月，請縮小範圍。")
    if family and TABLES[choices["table"]].family != family:
        errors.append("此統計資料表不適用於您的單位。")
    if errors:
        return None, choices, errors
    query = Query(table=choices["table"], measure=choices["measure"], months=tuple(months),
                  layout=choices["layout"], staff=tuple(sorted(set(choices["staff"]))),
                  grades=tuple(sorted(set(choices["grades"]))), category=choices["category"],
                  sex=choices["sex"], targets=tuple(sorted(set(choices["targets"]))),
                  group=choices["group"], compare=bool(choices["compare"]))
    return query, choices, []


class PageNumber(colander.MappingSchema):
    """The page number of the result's rows: not part of the query (the download is all rows)."""

    pg = colander.SchemaNode(colander.Integer(), missing=1, validator=colander.Range(1, MAX_PAGE))


def page_number(params) -> tuple[int, str | None]:
    """(page asked for, a message when the link's page number is not one): never raises."""
    raw = params.get(PAGE_PARAM)
    if raw is None:
        return 1, None
    try:
        return PageNumber().deserialize({PAGE_PARAM: raw[:12]})[PAGE_PARAM], None
    except colander.Invalid:
        return 1, "頁碼有誤（應為 1 以上的整數），已顯示第 1 頁。"


def query_params(choices: dict) -> list:
    """The query string (as pairs) of ``choices``: the download link of the result shown."""
    pairs = []
    for name in ("measure", "table", "period", "layout", "category", "sex", "group"):
        pairs.append((name, choices[name]))
    for name in MULTI:
        pairs.extend((name, str(v)) for v in choices[name])
    if choices["compare"]:
        pairs.append(("compare", "true"))
    return pairs
