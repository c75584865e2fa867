"""Deform set-up: our widget templates first, messages translated to zh-Hant.

Deform's and Colander's messages come from the portal's own catalogues
(``cgs_portal:locale/zh_Hant``), registered after theirs so they win: their zh_Hant
catalogues mix in simplified characters (「提交的内容有誤」). A failed form shows one
error summary, the page's (``field_errors``); ``templates/deform/form.pt`` drops
Deform's banner.

Every form schema derives from :class:`CSRFSchema` (Deform's session-backed
token, which Pyramid's default CSRF storage checks on every POST).
"""
from __future__ import annotations

import re
from pathlib import Path

import colander
import deform
from deform.schema import CSRFSchema  # noqa: F401 - re-exported for the concerns
from pyramid.i18n import get_localizer
from pyramid.threadlocal import get_current_request


def _translator(term):
    request = get_current_request()
    if request is None:
        return term
    return get_localizer(request).translate(term)


def includeme(config):
    from . import TEMPLATES_DIR

    settings = config.get_settings()
    templates_dir = Path(settings.get("cgs.templates_dir") or TEMPLATES_DIR)
    # Within one call later directories take precedence: the portal's catalogue last.
    config.add_translation_dirs("colander:locale/", "deform:locale/", "cgs_portal:locale/")
    search_path = (str(templates_dir / "deform"), str(Path(deform.__file__).parent / "templates"))
    deform.Form.set_zpt_renderer(search_path, translator=_translator)


def field_errors(form: deform.Form) -> list[str]:
    """Every error message of a failed form, for the summary at its top."""
    messages = []

    def walk(field):
        if field.error is not None and field.error.msg and field.children:
            # a form- or section-level message (Deform's banner, which we do not render)
            messages.append(_translator(field.errormsg))
        if field.error is not None and field.error.msg and not field.children:
            label = field.title or ""
            msg = field.error.msg
            if isinstance(msg, (list, tuple)):
                msg = "；".join(str(m) for m in msg)
            messages.append(f"{label}：{msg}" if label else str(msg))
        for child in field.children:
            walk(child)

    walk(form)
    return messages


REQUIRED = "此欄位必填"


def text_node(title: str, *, validator=None, missing=colander.required, widget=None,
              max_length: int = 200, multiline: bool = False, **kw):
    """A text field, bounded and free of control characters (``bounded_text``)."""
    return colander.SchemaNode(
        colander.String(),
        title=title,
        validator=bounded_text(max_length, multiline=multiline, validator=validator),
        missing=missing,
        missing_msg=REQUIRED,
        widget=widget,
        **kw,
    )


# Characters no free-text field accepts: C0 controls but tab/CR/LF, DEL and the C1 controls, and
# the invisible direction marks and overrides (U+200E/F, U+202A–U+202E, U+2066–U+2069) that make
# 「abc\u202eexe.txt」 read differently on someone else's page or in a mail. Single-line fields
# also refuse tab, CR, LF and the Unicode line/paragraph separators.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
_LINE_BREAKS = "\t\r\n\u2028\u2029"
MULTI_LINE_REFUSED = re.compile(f"[{_CONTROLS}]")
SINGLE_LINE_REFUSED = re.compile(f"[{_CONTROLS}{_LINE_BREAKS}]")
MSG_CONTROL_SINGLE = "不可包含換行、控制字元或隱藏的文字方向字元（例如 NUL、U+202E），請重新輸入。"
MSG_CONTROL_MULTI = "不可包含控制字元或隱藏的文字方向字元（例如 NUL、U+202E），請重新輸入。"


class PlainText:
    """Colander validator: refuses control and bidi characters (and, unless ``multiline``,
    line breaks) with a Traditional Chinese message. Every free-text field uses it."""

    def __init__(self, multiline: bool = False):
        self.pattern = MULTI_LINE_REFUSED if multiline else SINGLE_LINE_REFUSED
        self.msg = MSG_CONTROL_MULTI if multiline else MSG_CONTROL_SINGLE

    def __call__(self, node, value):
        if isinstance(value, str) and self.pattern.search(value):
            raise colander.Invalid(node, self.msg)


class bounded_text:  # noqa: N801 - used like a function in schemas
    """A validator for a free-text field: no control or bidi characters, at most ``max_length``
    characters, then ``validator`` (if any) — the first that fails gives the one message. Both
    first checks are one linear scan, so a huge value is refused before a costlier check runs."""

    def __init__(self, max_length: int, *, multiline: bool = False, max_err: str | None = None,
                 validator=None):
        self.checks = [PlainText(multiline=multiline),
                       colander.Length(max=max_length, max_err=max_err or f"請在 {max_length} 字以內。")]
        if validator is not None:
            self.checks.append(validator)

    def __call__(self, node, value):
        for check in self.checks:
            check(node, value)
