"""Every text field is bounded and refuses control and bidi characters (issue 10, items 11, 12)."""
from __future__ import annotations

import colander
import pytest

from support import login

BAD = {"NUL": "王\x00老師", "CRLF": "王老師\r\nBcc: x@example.invalid", "RLO": "王\u202e師老",
       "LRI": "王\u2066老師", "LRM": "王\u200e老師", "C1": "王\x85老師", "ESC": "王\x1b[31m老師"}


def _all_schemas():
    from cgs_portal.accounts import login as login_module
    from cgs_portal.accounts import schemas

    found = [login_module.LoginSchema]
    for name in dir(schemas):
        value = getattr(schemas, name)
        if isinstance(value, type) and issubclass(value, colander.Schema) and name.endswith("Schema"):
            found.append(value)
    from cgs_portal.reporting.schemas import AmendmentDecision, AmendmentRequest

    return found + [AmendmentRequest, AmendmentDecision]


NOT_FREE_TEXT = {"csrf_token", "report", "decision"}  # token; AmendmentDecision's hidden choices


def _text_nodes(schema):
    for node in schema().children:
        if isinstance(node.typ, colander.String) and node.name not in NOT_FREE_TEXT:
            yield node


@pytest.mark.parametrize("schema", _all_schemas(), ids=lambda s: s.__name__)
def test_every_text_field_has_a_maximum_and_refuses_controls(schema):
    for node in _text_nodes(schema):
        assert node.validator is not None, f"{schema.__name__}.{node.name} has no validator"
        multiline = node.name in ("reason", "note")  # text areas: line breaks are allowed
        for label, value in {**BAD, "huge": "a" * 100_000}.items():
            if multiline and label == "CRLF":
                continue
            with pytest.raises(colander.Invalid) as refused:
                node.validator(node, value)
            text = str(refused.value.asdict())
            assert label == "huge" or "控制字元" in text, (schema.__name__, node.name, label, text)


def test_the_register_form_refuses_a_bidi_override_beside_the_field(testapp, world):
    page = testapp.get("/register", params={"category": "國小", "q": "光明"})
    form = page.forms["register-form"]
    form["unit_code"] = "013601"
    form["personal_id"] = "z901"
    form["password"] = form["password_repeat"] = "Tree4Moon8Sun"
    form["name"] = BAD["RLO"]
    form["phone"] = "02-12345678"
    form["email"] = "z@example.invalid"
    answer = form.submit("submit")
    assert answer.status_int == 200 and "控制字元" in answer.text


def test_the_account_page_refuses_a_nul_in_the_name(testapp, world, portal):
    login(testapp, world["unit"])
    form = testapp.get("/account").forms["account-form"]
    form["name"] = "王\x00老師"
    assert "控制字元" in form.submit("submit").text
    with portal() as root:
        assert root["accounts"][world["unit"]].name == "王老師"
