"""The account e-mails: bodies are text templates under ``templates/accounts/mail/``.

``mail.send_mail`` adds the portal's subject prefix and footer to every one of them;
links are absolute, built on ``cgs.public_url`` — never on the request's Host header.
"""
from __future__ import annotations

from ..calendar import roc_datetime
from ..mail import portal_link, render_text, send_mail

TEMPLATES = "cgs_portal:templates/accounts/mail/"


def _send(request, to, subject, template, **values):
    body = render_text(f"{TEMPLATES}{template}.txt", values, request)
    return send_mail(request, to, subject, body)


def _link_mail(request, to, subject, template, account, view, token, expires_at, **values):
    """A mail carrying a single-use link to ``view``; returns the link."""
    url = portal_link(request, view, t=token)
    _send(request, to, subject, template, account=account, url=url,
          expires=roc_datetime(expires_at), **values)
    return url


def activation(request, account, token, expires_at):
    return _link_mail(request, account.email, "開通帳號確認信", "activation", account, "confirm",
                      token, expires_at)


def password_confirmation(request, account, token, expires_at):
    return _link_mail(request, account.email, "忘記密碼：確認新密碼", "password_confirmation",
                      account, "confirm", token, expires_at)


def password_refused(request, account, problems):
    """Said by mail, not on screen: the 忘記密碼 page must not tell accounts apart."""
    _send(request, account.email, "忘記密碼：申請未完成", "password_refused", account=account,
          problems=problems)


def email_confirmation(request, account, new_email, token, expires_at):
    return _link_mail(request, new_email, "變更信箱：確認新 Email", "email_confirmation", account,
                      "confirm", token, expires_at)


def email_change_notice(request, account, new_email, cancel_token, expires_at):
    """To the old address: a change was asked for, with a link that cancels it."""
    return _link_mail(request, account.email, "變更信箱通知", "email_change_notice", account,
                      "confirm", cancel_token, expires_at, new_email=new_email)


def login_reminder(request, account):
    _send(request, account.email, "帳號查詢結果", "login_reminder", account=account,
          url=portal_link(request, "login"))


def reset_notice(request, account, unit_name, reason):
    _send(request, account.email, "帳號重置通知", "reset_notice", account=account,
          unit_name=unit_name, reason=reason, url=portal_link(request, "register"))


def set_password_invitation(request, account, token, expires_at, *, created_by=""):
    return _link_mail(request, account.email, "設定密碼（新帳號）", "set_password_invitation",
                      account, "set-password", token, expires_at, created_by=created_by)


def password_changed_notice(request, account):
    _send(request, account.email, "密碼已變更", "password_changed_notice", account=account,
          changed_at=roc_datetime(request.clock.now()))
