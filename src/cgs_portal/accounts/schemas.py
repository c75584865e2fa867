"""Colander schemas of every account form, with their messages in Traditional Chinese.

The rules themselves live on the resources (Account, Accounts) and in
``passwords``; schema validators only translate them into field errors.
"""
from __future__ import annotations

import re

import colander
import deform

from ..contacts import HELPDESK_PHONE
from ..forms import REQUIRED, CSRFSchema, bounded_text
from .models import PERSONAL_ID_PATTERN, RESET_REASONS, unit_login
from .passwords import MAX_LENGTH, length_hint, password_problems
from .units import CATEGORIES, find_unit

PHONE = re.compile(
    r"^(\(0\d{1,3}\)|0\d{1,3})-?\d{3,4}-?\d{3,4}(\s*(#|分機|轉|ext\.?)\s*\d{1,6}([、,]\d{1,6})*)?$",
    re.IGNORECASE,
)
OFFICIAL_LOGIN = re.compile(r"^[a-z][a-z0-9_.-]{3,19}$")
UNIT_CODE = re.compile(r"^[0-9A-Za-z]{6}$")

MSG_PERSONAL_ID = "個人帳號須為 4 至 8 碼，僅限數字、小寫英文字母及底線（例：a001）。"
MSG_EMAIL = "Email 格式不正確（例：name@school.edu.tw）。"
MSG_PHONE = "電話格式不正確，請含區碼，分機以 # 分隔（例：049-2910960#3795）。"
MSG_REPEAT_PASSWORD = "兩次輸入的密碼不一致。"
MSG_REPEAT_EMAIL = "兩次輸入的 Email 不一致。"
MSG_UNKNOWN_UNIT = "查無此單位代碼，請以關鍵字搜尋後從清單中選擇單位。"
MSG_CATEGORY = "請選擇帳號類別。"


def holder_message() -> str:
    return (
        "此單位已有使用中的帳號（一學制一帳號，禁止共用）。若承辦人已異動或帳號無法使用，"
        f"請聯繫系統客服申請「帳號重置」：{HELPDESK_PHONE}"
    )


def _text(title, *, validator=None, missing=colander.required, widget=None, missing_msg=REQUIRED,
          max_length=100, max_err=None, multiline=False, **kw):
    """Every text field of the account forms: bounded, no control or bidi characters."""
    return colander.SchemaNode(
        colander.String(), title=title, missing=missing, missing_msg=missing_msg, widget=widget,
        validator=bounded_text(max_length, max_err=max_err, multiline=multiline, validator=validator),
        **kw,
    )


def _password(title="密碼", autocomplete="new-password", description=None):
    return _text(
        title,
        widget=deform.widget.PasswordWidget(autocomplete=autocomplete),
        description=description, max_length=MAX_LENGTH * 4, max_err="密碼太長。",
    )


def _email(title="Email"):
    return _text(
        title,
        validator=colander.Email(msg=MSG_EMAIL), max_length=120, max_err=MSG_EMAIL,
        widget=deform.widget.TextInputWidget(type="email", autocomplete="email"),
    )


def _phone():
    return _text(
        "電話",
        validator=colander.Regex(PHONE, msg=MSG_PHONE), max_length=40, max_err=MSG_PHONE,
        widget=deform.widget.TextInputWidget(placeholder="049-2910960#3795", autocomplete="tel"),
        description="例：049-2910960#3795",
    )


def _name():
    return _text("承辦人姓名", max_length=30, max_err="姓名請在 30 字以內。",
                 validator=colander.Length(min=1))


def _personal_id(title="自訂個人帳號"):
    return _text(
        title,
        validator=colander.Regex(PERSONAL_ID_PATTERN, msg=MSG_PERSONAL_ID),
        widget=deform.widget.TextInputWidget(autocomplete="off", maxlength=8, css_class="personal-id"),
        description="4 至 8 碼，限數字、小寫英文字母及底線",
        preparer=lambda v: v.strip() if isinstance(v, str) else v,
    )


def _category():
    return _text(
        "帳號類別",
        validator=colander.OneOf(CATEGORIES, msg_err=MSG_CATEGORY),
        widget=deform.widget.SelectWidget(
            values=[("", "請選擇")] + [(c, c) for c in CATEGORIES], css_class="unit-category"
        ),
        missing_msg=MSG_CATEGORY,
    )


@colander.deferred
def _unit_widget(node, kw):
    choices = kw.get("unit_choices") or []
    if choices:
        return deform.widget.SelectWidget(values=[("", "請選擇單位")] + choices, css_class="unit-code")
    return deform.widget.TextInputWidget(
        placeholder="請先以關鍵字搜尋單位", css_class="unit-code", maxlength=6
    )


def _unit_code():
    return _text(
        "單位名稱（單位代碼）",
        validator=colander.Regex(UNIT_CODE, msg=MSG_UNKNOWN_UNIT),
        widget=_unit_widget,
        preparer=lambda v: v.strip().upper() if isinstance(v, str) else v,
    )


def captcha_node():
    """The image captcha's answer (checked by the view, which uses the code up)."""
    return colander.SchemaNode(
        colander.String(),
        title="驗證",
        missing_msg="請輸入圖片中的 5 位數字",
        widget=deform.widget.TextInputWidget(template="captcha", autocomplete="off"),
        validator=bounded_text(10, max_err="請輸入圖片中的 5 位數字"),
    )


def _repeat(node, value, first, second, message):
    if value.get(first) != value.get(second):
        exc = colander.Invalid(node)
        exc[second] = message
        raise exc


def _chosen_unit(node, value):
    """The unit picked in a form, checked against the chosen category."""
    request = node.bindings["request"]
    from ..resources.root import get_app_root

    unit = find_unit(get_app_root(request), value["unit_code"])
    exc = colander.Invalid(node)
    if unit is None:
        exc["unit_code"] = MSG_UNKNOWN_UNIT
        raise exc
    if unit.category != value["category"]:
        exc["unit_code"] = f"「{unit.name}」不屬於帳號類別「{value['category']}」，請重新選擇。"
        raise exc
    return unit


def _password_rules(node, password, field="password", **context):
    problems = password_problems(password, **context)
    if problems:
        exc = colander.Invalid(node)
        exc[field] = "".join(problems)
        raise exc


class RegisterSchema(CSRFSchema):
    category = _category()
    unit_code = _unit_code()
    personal_id = _personal_id()
    password = _password(description=length_hint())
    password_repeat = _password("請再輸入一次密碼")
    name = _name()
    phone = _phone()
    email = _email()

    def validator(self, node, value):
        from ..resources.root import get_app_root

        request = node.bindings["request"]
        unit = _chosen_unit(node, value)
        accounts = get_app_root(request)["accounts"]
        exc = colander.Invalid(node)
        if accounts.holder_of_unit(unit.code, request.clock.now()) is not None:
            exc["unit_code"] = holder_message()
            raise exc
        if value["personal_id"] in accounts.personal_ids_used(unit.code):
            exc["personal_id"] = "此個人帳號本單位以前使用過，不可再次使用，請換一個。"
            raise exc
        _password_rules(
            node, value["password"], unit_code=unit.code, personal_id=value["personal_id"],
            login=unit_login(unit.code, value["personal_id"]),
        )
        _repeat(node, value, "password", "password_repeat", MSG_REPEAT_PASSWORD)


class LookupSchema(CSRFSchema):
    category = _category()
    unit_code = _unit_code()

    def validator(self, node, value):
        _chosen_unit(node, value)


def _login_parts(login: str) -> dict:
    """unit code / personal id guessed from a login text (no account lookup)."""
    if "_" in login:
        unit_code, personal_id = login.split("_", 1)
        return {"unit_code": unit_code, "personal_id": personal_id, "login": login}
    return {"login": login}


class ForgotPasswordSchema(CSRFSchema):
    login = _text("帳號", widget=deform.widget.TextInputWidget(autocomplete="username"),
                  description="例：010300_a001", max_length=40, max_err="帳號太長。")
    email = _email("Email（建立帳號時設定的電子信箱）")
    password = _password("新密碼", description=length_hint())
    password_repeat = _password("請再輸入一次新密碼")

    def validator(self, node, value):
        _password_rules(node, value["password"], **_login_parts(value["login"].strip()))
        _repeat(node, value, "password", "password_repeat", MSG_REPEAT_PASSWORD)


class ChangeEmailSchema(CSRFSchema):
    login = _text("帳號", widget=deform.widget.TextInputWidget(autocomplete="username"),
                  max_length=40, max_err="帳號太長。")
    password = _password("密碼", autocomplete="current-password")
    email = _email("新 Email")
    email_repeat = _email("請再輸入一次新 Email")
    captcha = captcha_node()

    def validator(self, node, value):
        _repeat(node, value, "email", "email_repeat", MSG_REPEAT_EMAIL)


class AccountSchema(CSRFSchema):
    name = _name()
    phone = _phone()
    email = _email()
    current = _text("目前密碼（變更 Email 時必填）", missing="",
                    widget=deform.widget.PasswordWidget(autocomplete="current-password"),
                    max_length=MAX_LENGTH * 4, max_err="密碼太長。")

    def validator(self, node, value):
        """A new e-mail address needs the current password (a stolen session cannot keep the
        account by moving its mailbox); wrong passwords count towards the login's lockout."""
        from ..resources.root import get_app_root
        from . import throttle
        from .passwords import verify_password

        request = node.bindings["request"]
        account = request.identity
        kept = {account.email.lower(), (account.awaiting_email or "").lower()}
        if value["email"].strip().lower() in kept:
            return
        root = get_app_root(request)
        exc = colander.Invalid(node)
        if throttle.password_locked_until(request, root, account.login) is not None:
            exc["current"] = "失敗次數過多，已暫停受理，請稍後再試。"
            raise exc
        if not value["current"]:
            exc["current"] = "變更 Email 須輸入目前密碼。"
            raise exc
        if not verify_password(account.password_hash, value["current"]):
            throttle.password_failed(request, root, account.login)
            exc["current"] = "目前密碼不正確。"
            raise exc


class ChangePasswordSchema(CSRFSchema):
    current = _password("目前密碼", autocomplete="current-password")
    password = _password("新密碼", description=length_hint())
    password_repeat = _password("請再輸入一次新密碼")

    def validator(self, node, value):
        from .passwords import verify_password

        account = node.bindings["request"].identity
        exc = colander.Invalid(node)
        if not verify_password(account.password_hash, value["current"]):
            exc["current"] = "目前密碼不正確。"
            raise exc
        problems = account.password_problems(value["password"])
        if problems:
            exc["password"] = "".join(problems)
            raise exc
        _repeat(node, value, "password", "password_repeat", MSG_REPEAT_PASSWORD)


class ChangeLoginSchema(CSRFSchema):
    personal_id = _personal_id("個人帳號")

    def validator(self, node, value):
        from ..resources.root import get_app_root

        request = node.bindings["request"]
        account = request.identity
        accounts = get_app_root(request)["accounts"]
        if value["personal_id"] in accounts.personal_ids_used(account.unit_code):
            exc = colander.Invalid(node)
            exc["personal_id"] = "此個人帳號本單位以前使用過，不可再次使用，請換一個。"
            raise exc


class SetPasswordSchema(CSRFSchema):
    password = _password("密碼", description=length_hint())
    password_repeat = _password("請再輸入一次密碼")

    def validator(self, node, value):
        account = node.bindings["account"]
        problems = account.password_problems(value["password"])
        if problems:
            exc = colander.Invalid(node)
            exc["password"] = "".join(problems)
            raise exc
        _repeat(node, value, "password", "password_repeat", MSG_REPEAT_PASSWORD)


class ResetSchema(CSRFSchema):
    login = _text("帳號", widget=deform.widget.HiddenWidget(), missing_msg="請選擇要重置的帳號",
                  max_length=40)
    reason = _text(
        "重置原因",
        validator=colander.OneOf(RESET_REASONS, msg_err="請選擇重置原因。"),
        widget=deform.widget.RadioChoiceWidget(values=[(r, r) for r in RESET_REASONS]),
        missing_msg="請選擇重置原因。",
    )
    note = _text("備註（來電者、聯絡方式等）", missing="", max_length=200, max_err="備註請在 200 字以內。",
                 multiline=True, widget=deform.widget.TextAreaWidget(rows=2))


OFFICIAL_ROLES = (("county", "縣市政府承辦人"), ("admin", "國家管理者"), ("helpdesk", "系統客服"))


@colander.deferred
def _county_widget(node, kw):
    return deform.widget.SelectWidget(values=[("", "（非縣市承辦人免選）")] + list(kw.get("counties", [])))


class OfficialSchema(CSRFSchema):
    role = _text(
        "帳號類別",
        validator=colander.OneOf([r for r, _ in OFFICIAL_ROLES], msg_err="請選擇帳號類別。"),
        widget=deform.widget.SelectWidget(values=[("", "請選擇")] + list(OFFICIAL_ROLES)),
        missing_msg="請選擇帳號類別。",
    )
    login = _text(
        "帳號",
        validator=colander.Regex(
            OFFICIAL_LOGIN, msg="帳號須為 4 至 20 碼，以小寫英文字母開頭，僅限小寫英文字母、數字及 _ . -"
        ),
        description="本人專屬帳號（例：ntpc_chen），不可使用單位代碼",
        preparer=lambda v: v.strip() if isinstance(v, str) else v,
    )
    county_code = _text("縣市", missing="", widget=_county_widget, max_length=10)
    name = _name()
    phone = _phone()
    email = _email()

    def validator(self, node, value):
        from ..resources.root import get_app_root

        request = node.bindings["request"]
        root = get_app_root(request)
        exc = colander.Invalid(node)
        if value["login"] in root["accounts"]:
            exc["login"] = "此帳號已存在，請換一個。"
            raise exc
        if value["role"] == "county" and value["county_code"] not in root["counties"]:
            exc["county_code"] = "縣市政府承辦人須選擇所屬縣市。"
            raise exc


# The second factor ------------------------------------------------------------------------
MSG_CODE = "請輸入驗證器 App 顯示的 6 位數字，或一組復原碼。"


def _factor_code(title="驗證碼"):
    return _text(
        title, max_length=40, max_err=MSG_CODE, missing_msg=MSG_CODE,
        widget=deform.widget.TextInputWidget(autocomplete="one-time-code"),
        description="驗證器 App（如 Google Authenticator、Microsoft Authenticator）顯示的 6 位數字",
    )


class FactorCodeSchema(CSRFSchema):
    """The code step of the login, and the confirmations of 兩步驟驗證 changes."""

    code = _factor_code()


class OfficialStatusSchema(CSRFSchema):
    """停用 / 啟用 an official's account (建立帳號's list)."""

    login = _text("帳號", widget=deform.widget.HiddenWidget(), max_length=40,
                  validator=colander.Regex(OFFICIAL_LOGIN, msg="帳號不正確。"))
    action = _text("動作", widget=deform.widget.HiddenWidget(), max_length=10,
                   validator=colander.OneOf(("disable", "enable"), msg_err="動作不正確。"))
    reason = _text("原因", missing="", max_length=200, max_err="原因請在 200 字以內。")


class AccountActionSchema(CSRFSchema):
    """A helpdesk action on one account (resend the activation mail, unlock)."""

    login = _text("帳號", widget=deform.widget.HiddenWidget(), max_length=40)
    note = _text("備註（來電者等）", missing="", max_length=200, max_err="備註請在 200 字以內。")


class FactorResetRequestSchema(CSRFSchema):
    login = _text("帳號", max_length=40, missing_msg="請輸入要重設兩步驟驗證的帳號。")
    reason = _text("原因（如何確認本人身分、遺失手機等）", max_length=200, max_err="原因請在 200 字以內。",
                   missing_msg="請說明原因。", multiline=True, widget=deform.widget.TextAreaWidget(rows=2))


class FactorResetDecisionSchema(CSRFSchema):
    request_id = _text("申請編號", widget=deform.widget.HiddenWidget(), max_length=40)
    decision = _text("決定", widget=deform.widget.HiddenWidget(), max_length=10,
                     validator=colander.OneOf(("approve", "reject"), msg_err="決定不正確。"))
