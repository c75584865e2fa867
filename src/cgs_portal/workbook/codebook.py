"""代碼查詢: every code list of a version, with the rules that go with its codes.

Generated from the schema (``VERSIONS``: columns, code lists, the sheets' row rules and
their parameters) and the level table, never retyped: a new code, a new column or a new
rule parameter shows up here by itself. Pure library code.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from .levels import LEVELS, SENIOR_LEVELS, grades_of_level
from .schema import VERSIONS

GRADE_FIELDS = ("grade", "target")


@dataclass
class Code:
    code: int
    label: str
    allowed: bool = True     # False: this unit may not use it (a grade outside its level …)
    note: str = ""


@dataclass
class CodeList:
    key: str                 # the column's field key
    header: str
    meaning: str
    sheets: list             # (sheet title, column letter)
    codes: list
    rules: list = field(default_factory=list)
    multiple: bool = False

    @property
    def anchor(self) -> str:
        return f"code-{self.key}"


def _label(codes, code) -> str:
    return dict(codes).get(code, "")


def _joined(codes, wanted) -> str:
    return "、".join(f"{c} {label}" for c, label in codes if c in wanted)


def column_rules(column) -> list:
    """What the column's own type says (multiple choice, how many, 0 alone)."""
    out = []
    if column.kind == "codes":
        out.append("可複選，代碼以逗號分隔（例：3,10）")
        if column.max_items and column.max_items < len(column.codes):
            out.append(f"至多 {column.max_items} 項")
        if column.zero_alone:
            out.append(f"0 {_label(column.codes, 0)} 須單獨填寫，不可與其他代碼並列")
    return out


def _senior_text() -> str:
    names = "、".join(level for level in LEVELS if level in SENIOR_LEVELS)
    return f"高中階段（{names}，或學生年級為高一以上）"


def rule_texts(sheet, rule, params, *, level, grades) -> dict:
    """``{field key: [text]}``: what one row rule of ``sheet`` says about code columns."""
    cols = {c.key: c for c in sheet.columns}
    out: dict = {}
    if rule == "case_source" and "case_source" in cols and "case_status" in cols:
        status = cols["case_status"].codes
        source = cols["case_source"]
        out["case_source"] = [f"輔導概況為 1 {_label(status, 1)} 時必填，不可填 0；"
                              f"為 2 {_label(status, 2)} 時填 0 {_label(source.codes, 0)}"]
        senior = params.get("senior_only")
        if senior is not None:
            out["case_source"].append(f"{senior} {_label(source.codes, senior)} 僅限{_senior_text()}"
                                      + ("；本單位可使用" if level in SENIOR_LEVELS else ""))
    elif rule == "other_text":
        code_col, text_col = cols[params["code_field"]], cols[params["text_field"]]
        code = params["code"]
        out[code_col.key] = [f"選 {code} {_label(code_col.codes, code)} 時，須在「{text_col.header}」"
                             "填寫說明；未選時該欄填 0"]
    elif rule == "sub_categories":
        out["sub_categories"] = [f"不可與「{cols['main_category'].header}」相同"]
    elif rule == "grade_fits":
        col = cols[params["field"]]
        shown = _joined(col.codes, set(grades))
        text = f"本單位（{level}）可填：{shown}"
        others = [c for c, _l in col.codes if c > 12]
        if others:
            text += f"；{_joined(col.codes, set(others))} 不限學制"
        out[col.key] = [text]
    return out


def code_lists(version_id: str, *, level: str, grades=None) -> list:
    """Every code list of ``version_id`` for a unit of ``level`` (grades: the unit's own)."""
    version = VERSIONS[version_id]
    grades = tuple(grades) if grades else grades_of_level(level)
    found: dict = {}
    for sheet in version.sheets:
        rules: dict = {}
        for rule, params in sheet.row_rules:
            for key, texts in rule_texts(sheet, rule, params, level=level, grades=grades).items():
                rules.setdefault(key, []).extend(texts)
        for j, col in enumerate(sheet.columns):
            if not col.codes:
                continue
            entry = found.get((col.key, col.codes))
            if entry is None:
                entry = found[(col.key, col.codes)] = CodeList(
                    col.key, col.header, col.meaning, [], codes_of(col, sheet, level, grades),
                    column_rules(col), multiple=col.kind == "codes")
            entry.sheets.append((sheet.title, sheet.letters[j]))
            entry.rules.extend(t for t in rules.get(col.key, ()) if t not in entry.rules)
    return list(found.values())


def codes_of(column, sheet, level, grades) -> list:
    """The column's codes, each marked whether this unit may use it."""
    senior = {p.get("senior_only") for name, p in sheet.row_rules if name == "case_source"} - {None}
    out = []
    for code, label in column.codes:
        allowed, note = True, ""
        if column.key in GRADE_FIELDS and code <= 12 and code not in grades:
            allowed, note = False, f"非本單位（{level}）年級"
        elif column.key == "case_source" and code in senior and level not in SENIOR_LEVELS:
            note = "僅限高中階段"
            allowed = any(g >= 10 for g in grades)
        out.append(Code(code, label, allowed, note))
    return out


def normalise_query(text) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip().casefold()


def search(lists: list, query) -> list:
    """The lists matching ``query``: a list whose name, meaning or rules match is shown whole;
    otherwise only its matching codes (by number or label). Empty query: everything."""
    q = normalise_query(query)
    if not q:
        return lists
    out = []
    for entry in lists:
        text = normalise_query(" ".join([entry.header, entry.meaning] + entry.rules))
        if q in text:
            out.append(entry)
            continue
        codes = [c for c in entry.codes if q == str(c.code) or q in normalise_query(c.label)]
        if codes:
            out.append(CodeList(entry.key, entry.header, entry.meaning, entry.sheets, codes,
                                entry.rules, entry.multiple))
    return out
