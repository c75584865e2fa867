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


def text_node(title: str, *, validator=None, missing=colander.required, widget=None, **kw):
    return colander.SchemaNode(
        colander.String(),
        title=title,
        validator=validator,
        missing=missing,
        missing_msg=REQUIRED,
        widget=widget,
        **kw,
    )
