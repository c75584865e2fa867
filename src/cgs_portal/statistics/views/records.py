"""資料查詢: the landing page of the member menu's 「資料查詢」 (root view name ``records``).

It links 統計查詢 (學校個案成果 / 學校服務成果) for every account that has statistics, and
填報紀錄 (歷史個案 / 歷史服務, the fixed root view names ``records-history-cases`` and
``records-history-services``) for unit accounts only: row-level records are the unit's.
"""
from __future__ import annotations

from pyramid.view import view_config

from ...resources import PortalRoot
from ...security import Perm
from .query import scope_of

HISTORY = (("records-history-cases", "歷史個案", "本單位各月份填報的個案資料列"),
           ("records-history-services", "歷史服務", "本單位各月份填報的相關服務資料列"))
STATISTICS = (("stats-cases", "學校個案成果", "表I–VI、VIII、IX（輔諮中心：表i–vi、viii、ix）"),
              ("stats-services", "學校服務成果", "表VII 相關服務人次（輔諮中心：表vii）"))


def links(request, items):
    return [(request.resource_url(request.root, name), label, note, name) for name, label, note in items]


@view_config(context=PortalRoot, name="records", renderer="cgs_portal:templates/statistics/records.pt",
             permission=Perm.MEMBER)
def records(request):
    scope, _family = scope_of(request)
    account = request.identity
    is_unit = account is not None and account.role == "unit" and scope is not None and scope.exact
    return {"page_title": "資料查詢", "scope": scope,
            "statistics": links(request, STATISTICS) if scope is not None else [],
            "history": links(request, HISTORY) if is_unit else []}


def includeme(config):
    config.scan(__name__)
