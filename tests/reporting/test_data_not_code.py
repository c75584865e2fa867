"""Uploaded content is data, never code, through the pages (issue 10, item 16)."""
from __future__ import annotations

import io
import re
import zipfile

import webtest
from helpers import UNIT, upload

from support import load_corpus, login

corpus = load_corpus()
A1 = "表A-1-輔導教師-1.當月個案"


def _hostile(make_workbook, errors=True):
    """A grade error (so there is an annotated copy), a HYPERLINK formula, a DDE text and an
    external link."""
    def spoil(cases, services):
        if errors:
            cases[0][3] = 9
        cases[1][9], cases[1][10] = 19, "=cmd|' /C calc'!A0"
    data = make_workbook(mutate=spoil)
    part = corpus.sheet_part(data, A1)
    data = corpus.patch_part(data, part, lambda xml: re.sub(
        rb'<c r="C8"[^>]*>.*?</c>',
        b'<c r="C8" t="str"><f>HYPERLINK("http://evil.example","S3")</f><v>S3</v></c>', xml, flags=re.S))
    ext = corpus.make_external_link()
    zext = zipfile.ZipFile(io.BytesIO(ext))
    zin = zipfile.ZipFile(io.BytesIO(data))
    new = {n: zext.read(n) for n in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml",
                                     "xl/externalLinks/externalLink1.xml",
                                     "xl/externalLinks/_rels/externalLink1.xml.rels")}
    new["xl/workbook.xml"] = zin.read("xl/workbook.xml").replace(
        b"</sheets>", b'</sheets><externalReferences><externalReference r:id="rIdExt1"/></externalReferences>')
    return corpus.rezip(zin, new)


def test_annotated_copy_is_data_and_the_original_is_kept_as_it_was(app, testapp, world, make_workbook):
    login(testapp, world["unit"])
    data = _hostile(make_workbook)
    page = upload(testapp, "2024-09", data)
    annotated = testapp.get(page.html.select_one("#annotated-download")["href"]).body
    z = zipfile.ZipFile(io.BytesIO(annotated))
    sheets = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
    assert not re.search(rb"<(\w+:)?f[\s>/]", sheets)
    assert not [n for n in z.namelist() if "externalLink" in n]
    assert b"'=cmd|" in sheets + b"".join(z.read(n) for n in z.namelist() if "sharedStrings" in n)
    admin = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.79"})
    login(admin, world["admin"])
    report = admin.get(UNIT + "113/2024-09/")
    assert "可能含有公式" in report.html.select_one("#original-note").text
    assert admin.get(UNIT + "113/2024-09/original?upload=1").body == data


def test_a_workbook_with_external_links_gets_a_warning_on_upload(testapp, world, make_workbook):
    login(testapp, world["unit"])
    page = upload(testapp, "2024-09", _hostile(make_workbook, errors=False))
    assert "外部連結" in page.html.select_one("#warnings").text
    assert "尚未完成填報" in page.text            # a warning to confirm, not an error
