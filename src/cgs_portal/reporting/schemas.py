"""The Colander schemas of the filing pages: what their forms post and their links ask for."""
from __future__ import annotations

import colander

from .. import calendar
from ..forms import PlainText, bounded_text


class Month(colander.SchemaType):
    """``yyyy-mm`` ↔ (year, month); anything else is invalid (with the node's ``missing_msg``)."""

    def serialize(self, node, appstruct):
        if appstruct is colander.null:
            return colander.null
        return f"{appstruct[0]:04d}-{appstruct[1]:02d}"

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct == "":
            return colander.null
        month = calendar.parse_month(cstruct)
        if month is None:
            raise colander.Invalid(node, node.missing_msg)
        return month


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class MonthPost(colander.MappingSchema):
    """The month page's forms (upload, confirm, no cases): the month and the form's serial."""

    m = colander.SchemaNode(Month(), missing_msg="請選擇要填報的月份。")
    serial = colander.SchemaNode(colander.Integer(), missing=None)


class ConfirmPost(MonthPost):
    upload = colander.SchemaNode(colander.Integer(), missing=None)


class NoCasesPost(MonthPost):
    confirm = colander.SchemaNode(colander.Boolean(true_choices=("yes",)), missing=False)


class MonthQuery(colander.MappingSchema):
    """``?m=yyyy-mm&upload=n`` of the month page and the unit's template link."""

    m = colander.SchemaNode(Month(), missing=None)
    upload = colander.SchemaNode(colander.Integer(), missing=None)


class YearQuery(colander.MappingSchema):
    ay = colander.SchemaNode(colander.Integer(), missing=None)


class AmendmentRequest(colander.MappingSchema):
    """申請修改: which filed month, and why."""

    m = colander.SchemaNode(Month(), missing_msg="請選擇要修改的月份。")
    reason = colander.SchemaNode(
        colander.String(), preparer=_strip, missing_msg="請說明修改原因。",
        validator=colander.All(colander.Length(min=1, min_err="請說明修改原因。"),
                               colander.Length(max=500, max_err="修改原因請在 500 字以內。"),
                               PlainText(multiline=True)))


class AmendmentDecision(colander.MappingSchema):
    """申請修改審核: the request (``county/unit/yyyy-mm``), approve or refuse, a note."""

    report = colander.SchemaNode(colander.String(), validator=colander.Regex(r"^[^/]+/[^/]+/[^/]+$"))
    decision = colander.SchemaNode(colander.String(), validator=colander.OneOf(("approve", "refuse")))
    note = colander.SchemaNode(colander.String(), missing="", validator=bounded_text(500, multiline=True))


def read(schema: colander.SchemaNode, params) -> dict:
    """Each of ``schema``'s values from ``params``; a value that fails its node's check is None.

    For links and hidden fields, where a bad value means "not given" and the page says what
    to do, rather than a form that shows its errors (use ``schema.deserialize`` there).
    """
    values = {}
    for node in schema.children:
        try:
            values[node.name] = node.deserialize(params.get(node.name, colander.null))
        except colander.Invalid:
            values[node.name] = None
    return values
