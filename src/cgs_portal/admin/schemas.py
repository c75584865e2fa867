"""The Colander schemas of the back office: what its links ask for and its forms post."""
from __future__ import annotations

import colander

from ..forms import bounded_text
from ..reporting.schemas import Month, _strip
from ..workbook.levels import LEVELS
from .dashboard import TABLES

ACTIONS = ("exempt", "reopen", "paper", "no_cases", "revert")
UNIT_CODE = colander.Regex(r"^[0-9A-Za-z]{2,10}$", "單位代碼格式不正確。")
COUNTY_CODE = colander.Regex(r"^[0-9]{5}$", "縣市代碼格式不正確。")


def _reason():
    return colander.SchemaNode(
        colander.String(), preparer=_strip, missing_msg="請說明原因：每一項管理者變更都必須記錄原因。",
        validator=colander.All(colander.Length(min=1, min_err="請說明原因。"), bounded_text(300)))


class RatesQuery(colander.MappingSchema):
    """``?ay=113&m=2024-09&table=counties`` of the rate pages and their downloads."""

    ay = colander.SchemaNode(colander.Integer(), missing=None, validator=colander.Range(100, 200))
    m = colander.SchemaNode(Month(), missing=None)
    table = colander.SchemaNode(colander.String(), missing=None, validator=colander.OneOf(TABLES))


class StatePost(colander.MappingSchema):
    """A unit page's 設定狀態 form: which month, which admin event, why (and until when)."""

    m = colander.SchemaNode(Month(), missing_msg="請選擇月份。")
    action = colander.SchemaNode(colander.String(), validator=colander.OneOf(ACTIONS),
                                 missing_msg="請選擇要執行的動作。")
    reason = _reason()
    until = colander.SchemaNode(colander.Date(), missing=None)


class BulkPost(colander.MappingSchema):
    """The desk's bulk forms; without ``confirm`` they answer with the preview."""

    kind = colander.SchemaNode(colander.String(), validator=colander.OneOf(("reopen", "extend", "exempt")))
    m = colander.SchemaNode(Month(), missing_msg="請選擇月份。")
    scope = colander.SchemaNode(colander.String(), missing="*",
                                validator=colander.Regex(r"^(\*|[0-9]{5})$", "請選擇縣市或全國。"))
    until = colander.SchemaNode(colander.Date(), missing=None)
    codes = colander.SchemaNode(colander.String(), missing="", validator=bounded_text(20000, multiline=True))
    reason = _reason()
    confirm = colander.SchemaNode(colander.String(), missing="", validator=colander.OneOf(("", "yes")))
    digest = colander.SchemaNode(colander.String(), missing="",
                                 validator=colander.Regex(r"^[0-9a-f]{0,64}$"))


class QueueFilter(colander.MappingSchema):
    """申請修改審核 filters: county, level, month, waiting at least ``age`` days."""

    county = colander.SchemaNode(colander.String(), missing=None, validator=COUNTY_CODE)
    level = colander.SchemaNode(colander.String(), missing=None, validator=colander.OneOf(LEVELS))
    m = colander.SchemaNode(Month(), missing=None)
    age = colander.SchemaNode(colander.Integer(), missing=None, validator=colander.Range(0, 3650))


class Reports(colander.SequenceSchema):
    report = colander.SchemaNode(colander.String(), validator=colander.Regex(r"^[^/]{1,10}/[^/]{1,10}/[^/]{1,10}$"))


class BulkDecision(colander.MappingSchema):
    """申請修改審核, many at once: the ticked requests, approve or refuse, one note."""

    reports = Reports(validator=colander.Length(min=1, max=500, min_err="請勾選要處理的申請。"))
    decision = colander.SchemaNode(colander.String(), validator=colander.OneOf(("approve", "refuse")))
    note = colander.SchemaNode(colander.String(), missing="", validator=bounded_text(500, multiline=True))


FIELD_LABELS = {"m": "月份", "action": "動作", "reason": "原因", "until": "截止日期", "kind": "作業",
                "scope": "範圍", "codes": "單位代碼", "confirm": "確認", "digest": "確認", "csrf_token": "表單"}


def message(invalid: colander.Invalid) -> str:
    """One short zh-Hant message for a refused form (never echoing what was posted)."""
    names = sorted({key.split(".")[0] for key in invalid.asdict()})
    return "表單內容有誤，請檢查：" + "、".join(FIELD_LABELS.get(n, "其他欄位") for n in names[:8]) + "。"
