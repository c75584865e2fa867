"""The account e-mails (Traditional Chinese bodies, absolute links)."""
from __future__ import annotations

from urllib.parse import urlencode

from ..calendar import roc_datetime
from ..mail import send_mail
from ..site.pages import HELPDESK_PHONE

SITE = "高級中等以下學校輔導工作成果填報系統"
SIGNATURE = f"\n\n—\n{SITE}\n系統客服電話：{HELPDESK_PHONE}\n（本信由系統自動發送，請勿直接回覆）\n"


def public_base(settings, request=None) -> str:
    base = (settings or {}).get("cgs.public_url")
    if base:
        return base.rstrip("/")
    if request is not None:
        return request.application_url
    return "http://localhost:6543"


def link(request, name: str, **query) -> str:
    url = f"{public_base(request.registry.settings, request)}/{name}"
    return url + ("?" + urlencode(query) if query else "")


def _send(request, to, subject, body):
    return send_mail(request, to, f"[{SITE}] {subject}", body + SIGNATURE)


def activation(request, account, token, expires_at):
    url = link(request, "confirm", t=token)
    _send(request, account.email, "開通帳號確認信", (
        f"{account.name} 您好：\n\n"
        f"您已在本系統註冊帳號「{account.login}」。請點選下列連結開通帳號，開通後才可登入系統：\n\n"
        f"{url}\n\n"
        f"此連結僅能使用一次，並於 {roc_datetime(expires_at)} 失效。"
        "若您沒有註冊本系統帳號，請忽略本信。"
    ))
    return url


def password_confirmation(request, account, token, expires_at):
    url = link(request, "confirm", t=token)
    _send(request, account.email, "忘記密碼：確認新密碼", (
        f"{account.name} 您好：\n\n"
        f"有人以帳號「{account.login}」及本信箱申請重設密碼。請點選下列連結確認，新密碼才會生效"
        "（確認後即可以新密碼登入系統）：\n\n"
        f"{url}\n\n"
        f"此連結僅能使用一次，並於 {roc_datetime(expires_at)} 失效。"
        "若不是您本人申請，請忽略本信，原密碼仍然有效。"
    ))
    return url


def email_confirmation(request, account, new_email, token, expires_at):
    url = link(request, "confirm", t=token)
    _send(request, new_email, "變更信箱：確認新 Email", (
        f"{account.name} 您好：\n\n"
        f"帳號「{account.login}」申請將註冊信箱變更為本信箱。請點選下列連結確認，"
        "確認後才能再登入系統：\n\n"
        f"{url}\n\n"
        f"此連結僅能使用一次，並於 {roc_datetime(expires_at)} 失效。"
    ))
    return url


def email_change_notice(request, account, new_email):
    _send(request, account.email, "變更信箱通知", (
        f"{account.name} 您好：\n\n"
        f"帳號「{account.login}」已申請將註冊信箱變更為 {new_email}，確認信已寄至新信箱。"
        "若不是您本人申請，請立即聯繫系統客服。"
    ))


def login_reminder(request, account):
    url = link(request, "login")
    _send(request, account.email, "帳號查詢結果", (
        f"{account.name} 您好：\n\n"
        f"有人在本系統查詢貴單位的登入帳號。貴單位的登入帳號為：\n\n    {account.login}\n\n"
        f"登入系統：{url}\n"
        "若忘記密碼，請使用「忘記密碼」功能。若不是您本人查詢，請忽略本信。"
    ))


def reset_notice(request, account, unit_name, reason):
    url = link(request, "register")
    _send(request, account.email, "帳號重置通知", (
        f"{account.name} 您好：\n\n"
        f"{unit_name}的帳號「{account.login}」已由系統客服重置（原因：{reason}），此帳號已停用，無法再登入。\n\n"
        "請新承辦人（或原承辦人）至「新建帳號」重新註冊，並設定一個本單位以前沒有使用過的個人帳號：\n\n"
        f"{url}\n\n"
        "貴單位已填報的資料不受影響。"
    ))


def set_password_invitation(request, account, token, expires_at, *, created_by=""):
    url = link(request, "set-password", t=token)
    _send(request, account.email, "設定密碼（新帳號）", (
        f"{account.name} 您好：\n\n"
        f"{created_by or '系統管理者'}已為您建立本系統帳號「{account.login}」。請點選下列連結設定您自己的密碼，"
        "設定完成後即可登入：\n\n"
        f"{url}\n\n"
        f"此連結僅能使用一次，並於 {roc_datetime(expires_at)} 失效。"
    ))
    return url


def password_changed_notice(request, account):
    _send(request, account.email, "密碼已變更", (
        f"{account.name} 您好：\n\n"
        f"帳號「{account.login}」的密碼已於 {roc_datetime(request.clock.now())} 變更，"
        "其他裝置上的登入已全部登出。若不是您本人變更，請立即使用「忘記密碼」功能並聯繫系統客服。"
    ))
