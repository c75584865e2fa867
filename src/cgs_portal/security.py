"""Security vocabulary: permission names, roles and principals.

The security policy that finds who is logged in is authentication, so it lives
with the accounts (``accounts.policy``); this module imports nothing of the
package, and everything may import it.
"""
from __future__ import annotations

import secrets


class Perm:
    """Namespaced permission names; every view declares one of these."""

    SITE_VIEW = "site.view"  # public pages (login, FAQ, documents, registration…)
    MEMBER = "portal.member"  # any logged-in account (own account pages)
    COUNTY_VIEW = "county.view"
    UNIT_VIEW = "unit.view"  # a unit's home and year view
    UNIT_STATUS = "unit.status"  # filing states of a unit (no rows)
    REPORT_STATUS = "report.status"
    REPORT_VIEW = "report.view"  # row-level case data
    REPORT_FILE = "report.file"  # upload / no-cases filing
    REPORT_AMEND = "report.amend"  # request an amendment
    REPORT_ADMIN = "report.admin"  # approve amendments, download any upload
    RECORDS_READ = "records.read"  # read any unit's 填報紀錄 (audited; national administrators)
    STATS_COUNTY = "stats.county"
    STATS_NATIONAL = "stats.national"
    ACCOUNTS_MANAGE = "accounts.manage"  # helpdesk: find accounts, audit
    ACCOUNTS_RESET = "accounts.reset"
    ADMIN = "admin.manage"  # back office: announcements, directory, officials
    REMIND_ADMIN = "remind.manage"  # 稽催: history, re-send, closures, mail texts, national list
    CONSULT_ANSWER = "consult.answer"  # helpdesk and administrators: answer 線上諮詢


ROLES = {
    "unit": "學校／輔諮中心承辦人",
    "county": "縣市政府承辦人",
    "helpdesk": "系統客服",
    "admin": "國家管理者",
}


def role_principal(role: str) -> str:
    return f"role:{role}"


def unit_principal(code: str) -> str:
    return f"unit:{code}"


def county_principal(code: str) -> str:
    return f"county:{code}"


def user_principal(login: str) -> str:
    return f"u:{login}"


def new_session_id() -> str:
    return secrets.token_urlsafe(18)
