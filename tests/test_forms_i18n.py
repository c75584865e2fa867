"""Deform and Colander speak Traditional Chinese, and a failed form has one error summary.

Issue 10 item 26: Deform's own zh_Hant catalogue writes 「提交的内容有誤」 (内 is simplified)
and its banner repeated the portal's summary box.
"""
from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import colander
import deform
from pyramid.i18n import TranslationString, make_localizer
from pyramid.interfaces import ITranslationDirectories

# Characters that exist only in simplified Chinese (their Traditional forms differ).
SIMPLIFIED_ONLY = set(
    "内为这请误错输证码户号确认验项题问应该时间个们来对没与无须长选择页显"
    "达现发动态类别单击从级书写区县处务签网邮话计数节点简设读义获关闭开启"
    "语满馈录载删编辑标换调词质"
)


def _msgids(pot: Path) -> list[str]:
    text = pot.read_text("utf-8")
    ids = []
    for block in re.findall(r'^msgid ((?:".*"\n)+)', text, flags=re.M):
        msgid = "".join(re.findall(r'"(.*)"', block)).replace('\\"', '"')
        if msgid:
            ids.append(msgid)
    return ids


def test_every_deform_and_colander_message_has_a_traditional_translation(app):
    localizer = make_localizer("zh_Hant", app.registry.getUtility(ITranslationDirectories))
    for package, domain in ((deform, "deform"), (colander, "colander")):
        pot = Path(package.__file__).parent / "locale" / f"{domain}.pot"
        for msgid in _msgids(pot):
            if msgid.startswith("Yo "):  # deform's own test message
                continue
            translated = localizer.translate(TranslationString(msgid, domain=domain))
            assert translated != msgid or msgid == "language-code", (domain, msgid)
            assert not SIMPLIFIED_ONLY & set(translated), (domain, msgid, translated)


def test_the_committed_catalogues_are_compiled_from_their_po_files():
    from cgs_portal.scripts.compile_messages import compile_po

    folder = resources.files("cgs_portal").joinpath("locale/zh_Hant/LC_MESSAGES")
    for domain in ("deform", "colander"):
        po = Path(str(folder.joinpath(f"{domain}.po")))
        assert Path(str(folder.joinpath(f"{domain}.mo"))).read_bytes() == compile_po(po)


def test_a_failed_form_shows_one_summary_in_traditional_chinese(testapp, world):
    page = testapp.get("/register", params={"category": "國小", "q": "光明"})
    form = page.forms["register-form"]
    failed = form.submit("submit")
    assert failed.status_int == 200
    text = failed.text
    assert "請修正下列欄位" in text
    assert not SIMPLIFIED_ONLY & set(failed.html.get_text()), sorted(SIMPLIFIED_ONLY & set(text))
    # one error summary: the portal's box, not Deform's banner as well
    summaries = failed.html.select("#form-errors") + failed.html.select(".error-msg-lbl")
    assert len(summaries) == 1
    assert len(failed.html.select(".alert-danger")) == 1
    assert "There was a problem" not in text and "提交的" not in text
