"""A county counselling centre (family B) files through the same pages."""
from __future__ import annotations

import random

from webtest import Upload

from support import add_account, load_corpus, login

corpus = load_corpus()

CENTRE = "/counties/65000/01C001/"


def centre_workbook(school="013601", month=9):
    rng = random.Random(4)
    cases = [dict(corpus.case_row(rng, "B113", (1, 2, 3, 7, 8), i), school_code=school) for i in range(4)]
    services = [dict(corpus.service_row(rng, "B113", (1, 2, 3, 7, 8), i), school_code=school) for i in range(3)]
    return corpus.filled("B113", cases, services, unit_code="01C001", unit_name="新北市學生輔導諮商中心（示範）",
                         roc_year=113, month=month)


def test_centre_files_family_b_and_gets_its_own_template(testapp, world, portal):
    with portal() as root:
        add_account(root, "01C001_c001", unit_code="01C001", personal_id="c001", email="c@example.invalid")
    login(testapp, "01C001_c001")
    page = testapp.get(CENTRE + "current")
    assert "113學年度（輔諮中心）" in page.text
    form = page.forms["upload-form"]
    form["workbook"] = Upload("centre.xlsx", centre_workbook())
    page = form.submit().follow()
    assert page.html.select_one("#filed") is not None, page.html.select_one("#result").text
    # a school workbook is refused with the version to download
    form = testapp.get(CENTRE + "month", {"m": "2024-10"})
    assert "尚未開放" in form.text
