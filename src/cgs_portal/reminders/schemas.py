"""The Colander schemas of the reminders pages: what their links ask for and forms post."""
from __future__ import annotations

import datetime as dt

import colander

from ..counties import COUNTIES
from ..forms import bounded_text
from ..reporting.schemas import Month, read
from . import mails, steps
from .models import KIND_LABELS, NATIONWIDE, STATUS_LABELS

UNIT_CODE = r"^[0-9A-Za-z]{6}$"


class Day(colander.SchemaType):
    """``yyyy-mm-dd`` ↔ date, between 2000 and 2100."""

    def serialize(self, node, appstruct):
        return colander.null if appstruct is colander.null else appstruct.isoformat()

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct == "":
            return colander.null
        try:
            day = dt.date.fromisoformat(str(cstruct)[:10]) if len(str(cstruct)) == 10 else None
        except ValueError:
            day = None
        if day is None or not 2000 <= day.year <= 2100:
            raise colander.Invalid(node, "請以 YYYY-MM-DD 格式輸入日期（例如 2024-09-02）。")
        return day


class HistoryQuery(colander.MappingSchema):
    """稽催紀錄: ``?run=…`` one run's lines, or ``?m=yyyy-mm&step=day11`` one step's."""

    run = colander.SchemaNode(colander.String(), missing=None, validator=colander.Regex(r"^[0-9T-]{15}-[0-9a-f]{6}$"))
    m = colander.SchemaNode(Month(), missing=None)
    step = colander.SchemaNode(colander.String(), missing=None, validator=colander.OneOf(steps.STEPS))
    page = colander.SchemaNode(colander.Integer(), missing=1, validator=colander.Range(1, 10_000))
    status = colander.SchemaNode(colander.String(), missing=None, validator=colander.OneOf(tuple(STATUS_LABELS)))


class MonthOnly(colander.MappingSchema):
    m = colander.SchemaNode(Month(), missing=None)


class ResendPost(colander.MappingSchema):
    """Re-send one step of one month to one unit by hand."""

    unit = colander.SchemaNode(colander.String(), validator=colander.Regex(UNIT_CODE, "請輸入 6 碼單位代碼。"),
                               missing_msg="請輸入 6 碼單位代碼。")
    step = colander.SchemaNode(colander.String(), validator=colander.OneOf((steps.DAY1, steps.DAY11),
                                                                           "請選擇要補寄的信件。"),
                               missing_msg="請選擇要補寄的信件。")
    m = colander.SchemaNode(Month(), missing_msg="請選擇月份（YYYY-MM）。")


class ClosurePost(colander.MappingSchema):
    day = colander.SchemaNode(Day(), missing_msg="請輸入日期（YYYY-MM-DD）。")
    county = colander.SchemaNode(colander.String(), validator=colander.OneOf((NATIONWIDE, *COUNTIES),
                                                                             "請選擇全國或一個縣市。"),
                                 missing_msg="請選擇全國或一個縣市。")
    kind = colander.SchemaNode(colander.String(), validator=colander.OneOf(tuple(KIND_LABELS), "請選擇類別。"),
                               missing_msg="請選擇類別。")
    note = colander.SchemaNode(colander.String(), missing="", validator=bounded_text(100))


class ClosureRemove(colander.MappingSchema):
    day = colander.SchemaNode(Day(), missing_msg="請選擇要刪除的日期。")
    county = colander.SchemaNode(colander.String(), validator=colander.OneOf((NATIONWIDE, *COUNTIES),
                                                                             "請選擇要刪除的日期。"))
    kind = colander.SchemaNode(colander.String(), validator=colander.OneOf(tuple(KIND_LABELS), "請選擇要刪除的日期。"))


class MailQuery(colander.MappingSchema):
    name = colander.SchemaNode(colander.String(), missing=None, validator=colander.OneOf(tuple(mails.MAILS)))


class MailPost(colander.MappingSchema):
    """A mail text: save it, or preview it with a real unit (``unit``) or county first."""

    name = colander.SchemaNode(colander.String(), validator=colander.OneOf(tuple(mails.MAILS), "請選擇信件。"),
                               missing_msg="請選擇信件。")
    subject = colander.SchemaNode(colander.String(), missing_msg="請輸入主旨。",
                                  validator=bounded_text(mails.SUBJECT_MAX))
    body = colander.SchemaNode(colander.String(), missing_msg="請輸入內容。",
                               validator=bounded_text(mails.BODY_MAX, multiline=True))
    unit = colander.SchemaNode(colander.String(), missing="",
                               validator=colander.Regex(r"^([0-9A-Za-z]{6}|[0-9]{5})?$", "請輸入 6 碼單位代碼。"))
    action = colander.SchemaNode(colander.String(), missing="preview",
                                 validator=colander.OneOf(("preview", "save"), "請選擇預覽或儲存。"))


__all__ = ["read", "HistoryQuery", "MonthOnly", "ResendPost", "ClosurePost", "ClosureRemove",
           "MailQuery", "MailPost"]
