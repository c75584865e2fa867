"""The reminder mails: their texts (a file default, or an admin's edit), placeholders, composing.

A text is a subject and a body with placeholders in braces — ``{單位名稱}``, ``{月份}``,
``{期限}``, ``{連結}`` … — each mail having its own set (``MAILS``). Defaults are the files
``templates/reminders/mail/<name>.txt`` (first line ``主旨：…``, a blank line, the body);
an admin's edit is a ``MailTemplate`` in ``root.reminders.templates``, keeping the texts
it replaced.
"""
from __future__ import annotations

import datetime as dt
import re

from .. import calendar
from ..mail import portal_link, render_text
from . import sheets
from .models import MailTemplate, reminders_of
from .steps import month_key

UNIT_FIELDS = ("單位名稱", "單位代碼", "承辦人", "月份", "期限", "連結", "未填月份")
MAILS = {
    "unit_day1": ("每月1日 填報提醒（填報窗口承辦人）", UNIT_FIELDS),
    "unit_day11": ("每月11日 未填報提醒（填報窗口承辦人）", UNIT_FIELDS),
    "county_day11": ("每月11日 轄內未填報名單（縣市政府承辦人）",
                     ("縣市", "承辦人", "月份", "今日", "未填數", "名單", "連結")),
    "admin_day16": ("每月16日 彙整未完成名單（國家管理者）",
                    ("承辦人", "月份", "今日", "未填數", "國教署數", "縣市數", "連結")),
}
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
SUBJECT_MARK = "主旨："
SUBJECT_MAX = 200
BODY_MAX = 5000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def default_text(request, name: str) -> tuple[str, str]:
    """(subject, body) of the file ``templates/reminders/mail/<name>.txt``."""
    cache = request.__dict__.setdefault("cgs_reminder_defaults", {})
    if name not in cache:
        text = render_text(f"cgs_portal:templates/reminders/mail/{name}.txt", {}, request)
        first, _, body = text.partition("\n")
        cache[name] = (first.removeprefix(SUBJECT_MARK).strip(), body.strip("\n") + "\n")
    return cache[name]


def current_text(root, request, name: str) -> tuple[str, str]:
    stored = reminders_of(root).templates.get(name)
    return (stored.subject, stored.body) if stored is not None else default_text(request, name)


def problems(name: str, subject: str, body: str) -> list[str]:
    """What is wrong with an edited text (unknown placeholders, stray braces, lengths)."""
    allowed = MAILS[name][1]
    found = []
    for label, text in (("主旨", subject), ("內容", body)):
        for key in PLACEHOLDER.findall(text):
            if key not in allowed:
                found.append(f"{label}中的 {{{key}}} 不是這封信可用的欄位（可用：{'、'.join(allowed)}）。")
        if PLACEHOLDER.sub("", text).count("{") or PLACEHOLDER.sub("", text).count("}"):
            found.append(f"{label}中有不成對的大括號 {{ }}。")
    if "\n" in subject or "\r" in subject:
        found.append("主旨只能有一行。")
    return found


def save_text(root, request, name, subject, body, by, at) -> MailTemplate:
    """Store an admin's text; the previous one (at first, the file's default) is kept."""
    store = reminders_of(root).templates
    stored = store.get(name)
    if stored is None:
        store[name] = stored = MailTemplate(name, *default_text(request, name), "系統預設", None)
    stored.replace(subject, body, by, at)
    return stored


def fill(text: str, values: dict) -> str:
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


def missing_text(labels: list[str]) -> str:
    return f"本學年度尚未填報的月份：{'、'.join(labels)}\n" if labels else ""


def unit_values(request, intent, today: dt.date) -> dict:
    from .plan import missing_labels

    unit = intent.unit
    view = "current" if intent.step == "day1" else "overdue"
    others = missing_labels(unit, intent.year, intent.month, today)[1:]
    return {"單位名稱": unit.name, "單位代碼": unit.code, "承辦人": getattr(intent.account, "name", "") or "",
            "月份": calendar.roc_month_label(intent.year, intent.month),
            "期限": calendar.roc_date(unit.filing_deadline(intent.year, intent.month, today)),
            "連結": portal_link(request, f"counties/{unit.county_code}/{unit.code}/{view}"),
            "未填月份": missing_text(others)}


def table_text(rows) -> str:
    lines = ["單位代碼｜單位名稱｜學制｜承辦人｜電話｜電子郵件｜未填報月份"]
    for row in rows:
        lines.append("｜".join((row.code, row.name, row.level, row.contact_name or "—", row.phone or "—",
                                row.email or "—", "、".join(row.missing))))
    return "\n".join(lines)


def county_values(request, intent, today: dt.date) -> dict:
    return {"縣市": intent.county.name, "承辦人": getattr(intent.account, "name", "") or "",
            "月份": calendar.roc_month_label(intent.year, intent.month), "今日": calendar.roc_date(today),
            "未填數": len(intent.rows), "名單": table_text(intent.rows),
            "連結": portal_link(request, f"counties/{intent.county.code}/reminders",
                              m=month_key(intent.year, intent.month))}


def admin_values(request, root, intent, today: dt.date) -> dict:
    from .plan import missing_units

    counts = {"national": 0, "county": 0}
    for row in missing_units(root, intent.year, intent.month, today):
        counts[row.group] += 1
    return {"承辦人": getattr(intent.account, "name", "") or "",
            "月份": calendar.roc_month_label(intent.year, intent.month), "今日": calendar.roc_date(today),
            "未填數": counts["national"] + counts["county"], "國教署數": counts["national"],
            "縣市數": counts["county"],
            "連結": portal_link(request, "reminders-missing", m=month_key(intent.year, intent.month))}


def values_for(request, root, intent, today: dt.date) -> dict:
    if intent.mail.startswith("unit_"):
        return unit_values(request, intent, today)
    if intent.mail == "county_day11":
        return county_values(request, intent, today)
    return admin_values(request, root, intent, today)


def compose(request, root, intent, today: dt.date, text: tuple[str, str] | None = None):
    """(subject, body, attachments) of the mail ``intent`` stands for."""
    subject, body = text or current_text(root, request, intent.mail)
    values = values_for(request, root, intent, today)
    attachments = []
    if intent.mail == "county_day11":
        data = sheets.county_list(intent.county.name, intent.year, intent.month, today, intent.rows)
        # an ASCII name: repoze.sendmail cannot encode a non-ASCII attachment file name
        attachments.append((f"unfiled_{intent.county.code}_{month_key(intent.year, intent.month)}.xlsx",
                            XLSX, data))
    return fill(subject, values), fill(body, values), attachments
