"""The Colander schemas of the 填報幫手 pages: every linked or posted value."""
from __future__ import annotations

import colander

from ..forms import bounded_text
from ..reporting.schemas import Month, read

__all__ = ["CheckPost", "CodeQuery", "MergedPost", "MonthQuery", "read"]


class MonthQuery(colander.MappingSchema):
    """``?m=yyyy-mm`` of 預填下月檔, 合併檔案 and 檢查檔案."""

    m = colander.SchemaNode(Month(), missing=None)


class CodeQuery(colander.MappingSchema):
    """代碼查詢's search box (``?q=``)."""

    q = colander.SchemaNode(colander.String(), missing="", validator=bounded_text(50))


class CheckPost(colander.MappingSchema):
    """檢查檔案 / 合併檔案: the month to check against, and which button was pressed."""

    m = colander.SchemaNode(Month(), missing=None)
    action = colander.SchemaNode(colander.String(), missing="check",
                                 validator=colander.OneOf(("check", "annotated")))


class MergedPost(colander.MappingSchema):
    """The merged copy posted back from the merge result (download, or file it)."""

    m = colander.SchemaNode(Month(), missing=None)
    serial = colander.SchemaNode(colander.Integer(), missing=None)
    merged = colander.SchemaNode(colander.String(), missing=None,
                                 validator=colander.Length(max=16 * 1024 * 1024))
    sig = colander.SchemaNode(colander.String(), missing=None,
                              validator=colander.Regex(r"^[0-9a-f]{64}$"))
