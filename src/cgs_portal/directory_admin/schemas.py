"""The Colander schemas of the directory pages."""
from __future__ import annotations

import colander
import deform

from ..content.schemas import date_node, read  # noqa: F401 - ``read`` re-exported for the views
from ..counties import COUNTIES
from ..directory import CODE_RE
from ..forms import CSRFSchema, text_node
from ..workbook.levels import LEVELS

LEVEL_CHOICES = [(level, level) for level in LEVELS]
COUNTY_CHOICES = [(code, name) for code, name in COUNTIES.items()]


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


def _choice(title, choices, message):
    return colander.SchemaNode(colander.String(), title=title, missing_msg=message,
                               validator=colander.OneOf([key for key, _label in choices], msg_err=message),
                               widget=deform.widget.SelectWidget(values=[("", "請選擇")] + choices))


class UnitSchema(CSRFSchema):
    name = text_node("單位名稱", max_length=60)
    level = _choice("學制", LEVEL_CHOICES, "請選擇學制。")
    county_code = _choice("縣市", COUNTY_CHOICES, "請選擇縣市。")
    public = colander.SchemaNode(colander.Boolean(), title="公立", missing=False,
                                 widget=deform.widget.CheckboxWidget(), description="私立學校請取消勾選")
    address = text_node("地址", max_length=120, missing="")
    phone = text_node("電話", max_length=40, missing="")
    url = text_node("網址", max_length=200, missing="")


class NewUnitSchema(UnitSchema):
    code = text_node("單位代碼", max_length=6, preparer=_upper,
                     validator=colander.Regex(CODE_RE, msg="單位代碼須為 6 碼教育部代碼（例：013601）。"))
    opened_on = date_node("設立日期（空白為今天）")


class CodeQuery(colander.MappingSchema):
    code = colander.SchemaNode(colander.String(), preparer=_upper, validator=colander.Regex(CODE_RE), missing=None)


class SearchQuery(colander.MappingSchema):
    q = colander.SchemaNode(colander.String(), validator=colander.Length(max=40), missing="",
                            preparer=lambda v: v.strip() if isinstance(v, str) else v)
    county = colander.SchemaNode(colander.String(), validator=colander.OneOf(list(COUNTIES)), missing=None)
    level = colander.SchemaNode(colander.String(), validator=colander.OneOf(LEVELS), missing=None)


class ClosePost(CodeQuery):
    closed_on = date_node("裁撤日期", required=True)


class ImportPost(colander.MappingSchema):
    level = colander.SchemaNode(colander.String(), validator=colander.OneOf(LEVELS), missing=None)


class ConfirmPost(colander.MappingSchema):
    token = colander.SchemaNode(colander.String(), validator=colander.Regex(r"^[A-Za-z0-9_-]{10,40}$"))
    close_missing = colander.SchemaNode(colander.Boolean(true_choices=("yes",)), missing=False)
