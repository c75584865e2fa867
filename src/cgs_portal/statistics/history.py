"""填報紀錄 (歷史個案 / 歷史服務): a query engine over one unit's stored rows.

A plain library: no pyramid, no request, no ZODB. The caller hands it the rows of the
months it may read (``MonthRows``: one filed month's rows of one sheet) and a ``Query``
parsed from the link (``parse_query``, Colander); it answers the page of rows to show
(``History.page``) or all of them in the shown order (``History.rows``, for the download).

Columns are the workbook schema's (``workbook.schema.VERSIONS``) of the unit's family,
merged across the template versions (a column a version lacks is blank in its months),
with the month as the first column. Codes are shown with their labels (「3 家庭困擾」);
multi-valued codes list each (「8 情緒行為障礙、11 自閉症」).

A filter is a set of values per column with the operator 「包含」: a row matches when its
value is one of them — for a multi-valued column, when any of its codes is. Filters on
several columns combine (every one must match).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import colander

from .. import calendar
from ..workbook.schema import VERSIONS

MONTH = "month"
MAX_MONTHS = 36
MAX_FILTER_VALUES = 50
MAX_TEXT_VALUE = 64
MAX_OPTIONS = 1000  # values offered in a filter's multi-select
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
SHEETS = {"cases": "歷史個案", "services": "歷史服務"}
BLANK = "（空白）"
OPERATOR = "包含"


@dataclass(frozen=True)
class HistoryColumn:
    """One column of the history table."""

    key: str
    header: str
    kind: str  # month | text | int | code | codes | other | school
    codes: tuple = ()  # (code, label) pairs, merged over the versions

    @cached_property
    def labels(self) -> dict:
        return dict(self.codes)

    def tokens(self, value) -> tuple[str, ...]:
        """The filter values a stored value answers to (several for multi-valued codes)."""
        if value is None or value == "":
            return ("",)
        if self.kind == MONTH:
            return (f"{value[0]:04d}-{value[1]:02d}",)
        if isinstance(value, (tuple, list)):
            return tuple(str(v) for v in value) or ("",)
        return (str(value),)

    def label(self, token: str) -> str:
        """How a filter value is shown: codes with their label, months in 民國."""
        if token == "":
            return BLANK
        if self.kind == MONTH:
            ym = calendar.parse_month(token)
            return calendar.roc_month_label(*ym) if ym else token
        if self.codes:
            try:
                code = int(token)
            except ValueError:
                return token
            name = self.labels.get(code)
            return f"{code} {name}" if name is not None else token
        return token

    def cell(self, value):
        """The shown value: numbers stay numbers, codes get their labels."""
        if value is None or value == "":
            return ""
        if self.kind == MONTH:
            return calendar.roc_month_label(*value)
        if self.kind == "int" and isinstance(value, int):
            return value
        if self.codes:
            return "、".join(self.label(t) for t in self.tokens(value))
        return str(value)

    def sort_key(self, value):
        """Blanks last; codes and numbers numerically, months in time, text as text."""
        if value is None or value == "":
            return (1, ())
        if isinstance(value, (tuple, list)):
            return (0, tuple(_orderable(v) for v in value))
        return (0, (_orderable(value),))

    def allowed_tokens(self) -> frozenset | None:
        """The values a filter on this column may name (None: any short text)."""
        if self.codes:
            return frozenset(str(c) for c, _label in self.codes) | {""}
        return None


def _orderable(value):
    # ints before text, so a column that mixes them (never, by the schema) still sorts
    return (0, value, "") if isinstance(value, int) else (1, 0, str(value))


MONTH_COLUMN = HistoryColumn(MONTH, "填報月份", MONTH)


def columns_of(family: str, sheet: str) -> tuple[HistoryColumn, ...]:
    """The columns of ``sheet`` over every template version of ``family``, month first.

    The newest version gives the order and the labels; a column only older versions have
    is kept after the column it followed there."""
    versions = sorted((v for v in VERSIONS.values() if v.family == family),
                      key=lambda v: v.first_academic_year, reverse=True)
    keys: list[str] = []
    specs: dict[str, list] = {}
    for version in versions:
        previous = None
        for col in version.sheet(sheet).columns:
            specs.setdefault(col.key, []).append(col)
            if col.key not in keys:
                at = keys.index(previous) + 1 if previous in keys else len(keys)
                keys.insert(at, col.key)
            previous = col.key
    columns = [MONTH_COLUMN]
    for key in keys:
        newest = specs[key][0]
        codes = dict(newest.codes)
        for older in specs[key][1:]:
            for code, label in older.codes:
                codes.setdefault(code, label)
        columns.append(HistoryColumn(key, newest.header, newest.kind, tuple(sorted(codes.items()))))
    return tuple(columns)


@dataclass(frozen=True)
class MonthRows:
    """The stored rows of one sheet of one filed month."""

    year: int
    month: int
    rows: tuple = ()

    @property
    def ym(self) -> tuple[int, int]:
        return (self.year, self.month)


@dataclass(frozen=True)
class Query:
    """What the link asks for; every field already checked by ``parse_query``."""

    months: tuple = ()  # ((year, month), …)
    columns: tuple = ()  # shown column keys, in table order
    filters: tuple = ()  # ((column key, (token, …)), …)
    sort: str | None = None
    descending: bool = False
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE
    pick: str | None = None  # the column whose values the filter form offers
    edit: bool = False  # 重新查詢項目: show the month / column choice again

    @property
    def filter_map(self) -> dict:
        return {key: frozenset(tokens) for key, tokens in self.filters}


@dataclass
class Page:
    columns: tuple  # HistoryColumn shown
    rows: list  # lists of cells
    total: int  # rows of the chosen months
    matched: int  # rows passing the filters
    page: int
    pages: int
    size: int

    @property
    def first(self) -> int:
        return (self.page - 1) * self.size + 1 if self.matched else 0

    @property
    def last(self) -> int:
        return min(self.page * self.size, self.matched)


@dataclass
class History:
    """The rows of the chosen months of one sheet, queryable."""

    family: str
    sheet: str
    months: Sequence[MonthRows]
    columns: tuple = field(init=False)

    def __post_init__(self):
        self.columns = columns_of(self.family, self.sheet)
        self.by_key = {c.key: c for c in self.columns}
        self.months = sorted(self.months, key=lambda m: m.ym)
        # (month, row) in month order, then the order of the sheet
        self.entries = [(m.ym, row) for m in self.months for row in m.rows]

    def value(self, entry, key):
        return entry[0] if key == MONTH else entry[1].get(key)

    def shown(self, query: Query) -> tuple[HistoryColumn, ...]:
        keys = set(query.columns) if query.columns else set(self.by_key)
        return tuple(c for c in self.columns if c.key in keys)

    def select(self, query: Query) -> list:
        """The entries passing every filter, in the asked order."""
        found = self.entries
        for key, tokens in query.filter_map.items():
            column = self.by_key.get(key)
            if column is None:
                continue
            found = [e for e in found if not tokens.isdisjoint(column.tokens(self.value(e, key)))]
        if query.sort in self.by_key:
            column = self.by_key[query.sort]
            found = sorted(found, key=lambda e: column.sort_key(self.value(e, query.sort)),
                           reverse=query.descending)
        return list(found)

    def page(self, query: Query) -> Page:
        found = self.select(query)
        pages = max(1, -(-len(found) // query.size))
        number = min(max(1, query.page), pages)
        chunk = found[(number - 1) * query.size: number * query.size]
        shown = self.shown(query)
        return Page(shown, [self.cells(e, shown) for e in chunk], len(self.entries), len(found),
                    number, pages, query.size)

    def rows(self, query: Query):
        """Every matching row (all pages) as shown cells, in order (the download)."""
        shown = self.shown(query)
        for entry in self.select(query):
            yield self.cells(entry, shown)

    def cells(self, entry, shown) -> list:
        return [c.cell(self.value(entry, c.key)) for c in shown]

    def options(self, key: str, query: Query | None = None) -> list[tuple[str, str, int]]:
        """(value, label, rows) of the values present in ``key``, for the filter's multi-select.

        Counted over the rows the *other* filters leave, so a choice never offers a value
        that would empty the table; at most ``MAX_OPTIONS``."""
        column = self.by_key[key]
        others = Query(filters=tuple((k, v) for k, v in (query.filters if query else ()) if k != key))
        counts: Counter = Counter()
        for entry in self.select(others):
            counts.update(set(column.tokens(self.value(entry, key))))
        ordered = sorted(counts, key=lambda t: (t == "", _token_order(column, t)))
        chosen = (query.filter_map.get(key, frozenset()) if query else frozenset())
        ordered += sorted(t for t in chosen if t not in counts)  # a chosen value stays offered
        return [(t, column.label(t), counts.get(t, 0)) for t in ordered[:MAX_OPTIONS]]

    def describe_filters(self, query: Query) -> list[str]:
        """「個案類別(主) 包含 3 家庭困擾、5 情緒困擾」 for each filter."""
        out = []
        for key, tokens in query.filters:
            column = self.by_key[key]
            out.append(f"{column.header} {OPERATOR} " + "、".join(column.label(t) for t in tokens))
        return out


def _token_order(column: HistoryColumn, token: str):
    if column.codes or column.kind == "int":
        try:
            return (0, int(token), "")
        except ValueError:
            pass
    return (1, 0, token)


# -- the link: parsed with Colander, bounded, every problem a message -----------------------

class _Month(colander.SchemaType):
    def deserialize(self, node, cstruct):
        ym = calendar.parse_month(cstruct) if isinstance(cstruct, str) else None
        if ym is None:
            raise colander.Invalid(node, "月份格式不正確")
        return ym


def _known(keys, message):
    return colander.OneOf(tuple(keys), msg_err=message) if keys else colander.OneOf(())


class QuerySchema(colander.MappingSchema):
    """The query string of a history page (each repeated name a sequence)."""

    def __init__(self, columns: Sequence[HistoryColumn]):
        super().__init__()
        keys = [c.key for c in columns]
        self.columns = {c.key: c for c in columns}
        self.add(colander.SequenceSchema(
            colander.SchemaNode(_Month(), name="m"), name="m",
            validator=colander.Length(max=MAX_MONTHS)))
        self.add(colander.SequenceSchema(
            colander.SchemaNode(colander.String(), name="col", validator=_known(keys, "沒有這個欄位")),
            name="col", validator=colander.Length(max=len(keys))))
        for name in ("sort", "fcol"):
            self.add(colander.SchemaNode(colander.String(), name=name, missing=None,
                                         validator=_known(keys, "沒有這個欄位")))
        self.add(colander.SchemaNode(colander.Integer(), name="page", missing=1,
                                     validator=colander.Range(min=1, max=1_000_000)))
        self.add(colander.SchemaNode(colander.Integer(), name="size", missing=DEFAULT_PAGE_SIZE,
                                     validator=colander.OneOf(PAGE_SIZES)))
        for name in ("desc", "edit", "cols"):
            self.add(colander.SchemaNode(colander.Boolean(true_choices=("1",)), name=name,
                                         missing=False))
        for column in columns:
            allowed = column.allowed_tokens()
            item = colander.SchemaNode(
                colander.String(allow_empty=True), name="v",
                validator=(colander.OneOf(tuple(sorted(allowed)))
                           if allowed is not None else colander.Length(max=MAX_TEXT_VALUE)))
            self.add(colander.SequenceSchema(item, name=f"f.{column.key}",
                                             validator=colander.Length(max=MAX_FILTER_VALUES)))


SEQUENCES = ("m", "col")


def parse_query(params: Mapping[str, Sequence[str]], columns: Sequence[HistoryColumn],
                filed: Sequence[tuple[int, int]] = ()) -> tuple[Query, list[str], dict]:
    """``params`` (name → list of values, as sent) → (Query, messages, flags).

    Nothing raises: a value that fails its check is left out and named in a message;
    months the unit has not filed are left out too (``filed``: the months it may read).
    ``flags``: ``cols`` (the column chooser was sent), ``given_columns``."""
    schema = QuerySchema(columns)
    messages: list[str] = []
    values: dict = {}
    for node in schema.children:
        raw = params.get(node.name) or []
        if isinstance(node, colander.SequenceSchema):
            values[node.name] = _sequence(node, raw, schema, messages)
        else:
            values[node.name] = _single(node, raw, messages)
    for name in params:
        if name.startswith("f.") and name not in values:
            messages.append(f"沒有「{name[2:][:20]}」這個欄位，已略過該篩選條件。")
    months = []
    for ym in values["m"]:
        if ym not in filed:
            messages.append(f"{calendar.roc_month_label(*ym)} 沒有本單位的填報資料，已略過。")
        elif ym not in months:
            months.append(ym)
    order = [c.key for c in columns]
    shown = tuple(k for k in order if k in set(values["col"]))
    filters = tuple((c.key, tuple(dict.fromkeys(values[f"f.{c.key}"])))
                    for c in columns if values[f"f.{c.key}"])
    query = Query(months=tuple(sorted(months)), columns=shown, filters=filters,
                  sort=values["sort"], descending=values["desc"], page=values["page"],
                  size=values["size"], pick=values["fcol"], edit=values["edit"])
    return query, list(dict.fromkeys(messages)), {"cols": values["cols"]}


def _single(node, raw, messages):
    if not raw:
        return node.deserialize(colander.null)
    try:
        return node.deserialize(raw[0])
    except colander.Invalid:
        messages.append(SINGLE_MESSAGES.get(node.name, "網址中的查詢條件有誤，已略過。"))
        return node.deserialize(colander.null)


SINGLE_MESSAGES = {
    "sort": "排序欄位不存在，已改為依填報月份排列。",
    "fcol": "篩選欄位不存在，請重新選擇。",
    "page": "頁碼有誤，已顯示第 1 頁。",
    "size": f"每頁筆數只能是 {'、'.join(map(str, PAGE_SIZES))}，已改為 {DEFAULT_PAGE_SIZE} 筆。",
    "desc": "排序方向有誤，已改為由小到大。",
    "edit": "網址中的查詢條件有誤，已略過。",
    "cols": "網址中的查詢條件有誤，已略過。",
}


def _sequence(node, raw, schema, messages):
    item = node.children[0]
    name = node.name
    limit = MAX_MONTHS if name == "m" else (MAX_FILTER_VALUES if name.startswith("f.") else len(schema.columns))
    if len(raw) > limit:
        if name == "m":
            messages.append(f"一次最多查詢 {MAX_MONTHS} 個月份，已只取前 {MAX_MONTHS} 個。")
        elif name.startswith("f."):
            header = schema.columns[name[2:]].header
            messages.append(f"「{header}」的篩選條件最多 {MAX_FILTER_VALUES} 個值，已只取前 {MAX_FILTER_VALUES} 個。")
        raw = raw[:limit]
    out = []
    for value in raw:
        try:
            out.append(item.deserialize(value))
        except colander.Invalid:
            messages.append(_item_message(name, schema, value))
    node.validator(node, out)  # the bound holds by construction; Colander checks it again
    return out


def _item_message(name, schema, value):
    shown = str(value)[:20]
    if name == "m":
        return f"月份「{shown}」格式不正確（應為如 2024-09），已略過。"
    if name == "col":
        return f"沒有「{shown}」這個欄位，已略過。"
    header = schema.columns[name[2:]].header
    return f"「{header}」沒有「{shown}」這個選項，已略過。"


def link_params(query: Query, **changes) -> list[tuple[str, str]]:
    """The query string of ``query`` (with ``changes``), as ``parse_query`` reads it back."""
    from dataclasses import replace

    q = replace(query, **changes) if changes else query
    out = [("m", f"{y:04d}-{m:02d}") for y, m in q.months]
    out += [("col", key) for key in q.columns]
    for key, tokens in q.filters:
        out += [(f"f.{key}", t) for t in tokens]
    if q.sort:
        out.append(("sort", q.sort))
        if q.descending:
            out.append(("desc", "1"))
    if q.size != DEFAULT_PAGE_SIZE:
        out.append(("size", str(q.size)))
    if q.page > 1:
        out.append(("page", str(q.page)))
    if q.pick:
        out.append(("fcol", q.pick))
    if q.edit:
        out.append(("edit", "1"))
    return out
