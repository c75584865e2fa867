"""The Colander schemas of the content pages: every posted or linked value is read here."""
from __future__ import annotations

import datetime as dt

import colander
import deform

from .. import calendar
from ..accounts.schemas import captcha_node
from ..forms import CSRFSchema, text_node
from ..site.announcements import ORDER_MAX, TEXT_MAX
from ..workbook.schema import VERSIONS
from .models import BODY_MAX, DOCUMENT_CATEGORIES, ID_PATTERN, SUBJECT_MAX, THREAD_STATES

DATE_HINT = "民國年/月/日，例：113/09/02（也可輸入 2024-09-02）；空白表示不限"
MSG_DATE = "日期格式不正確，請以民國年輸入（例：113/09/02）。"


def parse_day(text: str) -> dt.date | None:
    """A 民國 date ``113/09/02`` or an ISO date ``2024-09-02``; None if it is neither."""
    text = (text or "").strip()
    try:
        if "-" in text:
            return dt.date.fromisoformat(text)
        parts = text.split("/")
        if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 4 for p in parts):
            return None
        y, m, d = (int(p) for p in parts)
        return dt.date(calendar.ad_year(y), m, d) if 0 < y < 300 else None
    except ValueError:
        return None


class RocDate(colander.SchemaType):
    """A day typed as 民國 ``113/09/02`` (or ISO); shown back as 民國."""

    def serialize(self, node, appstruct):
        if appstruct in (colander.null, None):
            return colander.null
        return f"{calendar.roc_year(appstruct.year)}/{appstruct.month:02d}/{appstruct.day:02d}"

    def deserialize(self, node, cstruct):
        if cstruct in (colander.null, "") or (isinstance(cstruct, str) and not cstruct.strip()):
            return colander.null
        day = parse_day(cstruct) if isinstance(cstruct, str) and len(cstruct) <= 20 else None
        if day is None:
            raise colander.Invalid(node, MSG_DATE)
        return day


def date_node(title, *, required=False):
    return colander.SchemaNode(RocDate(), title=title, missing=colander.required if required else None,
                               missing_msg="請輸入日期", description=DATE_HINT,
                               widget=deform.widget.TextInputWidget(autocomplete="off"))


def order_node():
    return colander.SchemaNode(colander.Integer(), title="排列順序", missing=0,
                               validator=colander.Range(0, ORDER_MAX, min_err="順序不可小於 0。",
                                                        max_err=f"順序請在 0–{ORDER_MAX} 之間。"),
                               description="數字小的排在前面")


def _window(node, value):
    starts, ends = value.get("starts_on"), value.get("ends_on")
    if starts and ends and ends < starts:
        exc = colander.Invalid(node)
        exc["ends_on"] = "結束日期不可早於開始日期。"
        raise exc


class AnnouncementSchema(CSRFSchema):
    text = text_node("公告內容", max_length=TEXT_MAX, multiline=True,
                     widget=deform.widget.TextAreaWidget(rows=4))
    important = colander.SchemaNode(colander.Boolean(), title="重要（以紅色粗體顯示）", missing=False,
                                    widget=deform.widget.CheckboxWidget())
    starts_on = date_node("開始公告日期")
    ends_on = date_node("結束公告日期")
    order = order_node()

    def __init__(self, *args, **kw):
        super().__init__(*args, validator=_window, **kw)


class FaqCategorySchema(CSRFSchema):
    title = text_node("分類名稱", max_length=40)
    order = order_node()


@colander.deferred
def _category_widget(node, kw):
    return deform.widget.SelectWidget(values=[("", "請選擇分類")] + list(kw.get("categories", [])))


@colander.deferred
def _category_validator(node, kw):
    return colander.OneOf([key for key, _title in kw.get("categories", [])], msg_err="請選擇分類。")


class FaqEntrySchema(CSRFSchema):
    category_id = colander.SchemaNode(colander.String(), title="分類", widget=_category_widget,
                                      validator=_category_validator, missing_msg="請選擇分類。")
    question = text_node("問題", max_length=200)
    answer = text_node("回答", max_length=BODY_MAX, multiline=True,
                       widget=deform.widget.TextAreaWidget(rows=5))
    order = order_node()


class ScheduleSchema(CSRFSchema):
    version = colander.SchemaNode(
        colander.String(), title="範本版本", validator=colander.OneOf(list(VERSIONS), msg_err="請選擇範本版本。"),
        widget=deform.widget.SelectWidget(values=[("", "請選擇")] + [(k, v.label) for k, v in VERSIONS.items()]),
        missing_msg="請選擇範本版本。")
    academic_year = colander.SchemaNode(colander.Integer(), title="自學年度起（民國）",
                                        validator=colander.Range(100, 200, min_err="學年度不正確。",
                                                                 max_err="學年度不正確。"),
                                        missing_msg="請輸入學年度。")
    term = colander.SchemaNode(colander.Integer(), title="學期", validator=colander.OneOf((1, 2)),
                               widget=deform.widget.SelectWidget(values=[("1", "上學期"), ("2", "下學期")]),
                               missing_msg="請選擇學期。")


def _subject():
    return text_node("主旨", max_length=SUBJECT_MAX)


def _body(title="問題內容"):
    return text_node(title, max_length=BODY_MAX, multiline=True, widget=deform.widget.TextAreaWidget(rows=6),
                     description="請勿填寫學生姓名、身分證字號、電話等可識別個人身分之資料；不可附加檔案。")


class MemberQuestionSchema(CSRFSchema):
    subject = _subject()
    body = _body()


class AnonymousQuestionSchema(CSRFSchema):
    name = text_node("姓名", max_length=30)
    email = text_node("回覆 Email", max_length=120, validator=colander.Email(msg="Email 格式不正確。"),
                      widget=deform.widget.TextInputWidget(type="email", autocomplete="email"))
    subject = _subject()
    body = _body()
    captcha = captcha_node()


class AnswerSchema(CSRFSchema):
    body = _body("回覆內容")


# -- links and small posts (read with ``read``: a bad value is "not given") ------------------
class IdQuery(colander.MappingSchema):
    id = colander.SchemaNode(colander.String(), validator=colander.Regex(ID_PATTERN), missing=None)


class StateQuery(colander.MappingSchema):
    state = colander.SchemaNode(colander.String(), validator=colander.OneOf(list(THREAD_STATES)),
                                missing=None)


class SearchQuery(colander.MappingSchema):
    q = colander.SchemaNode(colander.String(), validator=colander.Length(max=50), missing="",
                            preparer=lambda v: v.strip() if isinstance(v, str) else v)


class ActionPost(colander.MappingSchema):
    id = colander.SchemaNode(colander.String(), validator=colander.Regex(ID_PATTERN))
    action = colander.SchemaNode(colander.String(),
                                 validator=colander.OneOf(("retire", "restore", "delete", "close", "reopen")))


class ResetPost(colander.MappingSchema):
    version = colander.SchemaNode(colander.String(), validator=colander.OneOf(list(VERSIONS)))


class DocumentPost(colander.MappingSchema):
    """The upload form of 操作文件下載 (multipart, written by hand: Deform has no plain file field)."""

    title = text_node("文件名稱", max_length=100)
    category = colander.SchemaNode(colander.String(), title="分類",
                                   validator=colander.OneOf(DOCUMENT_CATEGORIES, msg_err="請選擇分類。"),
                                   missing_msg="請選擇分類。")
    version = text_node("版本", max_length=20)
    dated_on = date_node("日期", required=True)


def read(schema, params) -> dict:
    """Each value of ``schema`` from ``params``; a value that fails its check is None."""
    values = {}
    for node in schema.children:
        try:
            raw = params.get(node.name, colander.null)
            values[node.name] = node.deserialize(raw if isinstance(raw, str) else colander.null)
        except colander.Invalid:
            values[node.name] = None
    return values


def parse(schema, params) -> tuple[dict | None, list[str]]:
    """(values, []) or (None, the zh-Hant messages) for a hand-written form."""
    cstruct = {node.name: params.get(node.name) if isinstance(params.get(node.name), str) else colander.null
               for node in schema.children}
    try:
        return schema.deserialize(cstruct), []
    except colander.Invalid as exc:
        titles = {node.name: node.title for node in schema.children}
        return None, [f"{titles.get(k, k)}：{v}" for k, v in exc.asdict().items()]
