"""The audit log of account events (register, activate, login ok/failed, lockout, …).

Entries are keyed by a time-ordered integer (:func:`key_of`: the microsecond times 100,
plus a sub-microsecond part), so browsing newest-first is a reverse range scan. The log
(:class:`AuditLog`) is split into ``SHARDS`` ``LOBTree`` shards; a key's shard is
``key % SHARDS`` (its sub-microsecond part). Why: with one tree every append lands in the
same last bucket, and although BTrees merge concurrent inserts into one bucket, they cannot
merge an insert with a split of that bucket (every ~60 appends): at the filing-day peak
(bench/peak.py, 1,000 units) that was ~60 ``ConflictError`` retries of ``POST login`` on
``LOBucket`` / ``LOBTree``, and logins ending in the 503 page once the retries were used up.
Now each ZODB connection of a process appends to a shard of its own (:func:`writer_shard`):
the requests of one process that commit at the same time never write the same tree, so a
bucket split conflicts with nothing. Processes pick their shards from a random offset, so two
processes share a shard only by chance (and then only a split can conflict, as before).
Newest-first reading merges the shards (:func:`newest_first`).

A database from before the shards holds one ``LOBTree`` until the accounts evolve step 7
moves its entries into an :class:`AuditLog` (the keys are kept); until then reads and writes
use the single tree as before.
"""
from __future__ import annotations

import datetime as dt
import heapq
import secrets
import threading
import weakref

from BTrees.LOBTree import LOBTree
from persistent import Persistent

EVENTS = {
    "register": "註冊帳號",
    "activate": "開通帳號",
    "login.ok": "登入成功",
    "login.failed": "登入失敗",
    "login.locked": "登入鎖定",
    "logout": "登出",
    "password.change": "變更密碼",
    "password.forgot": "忘記密碼申請",
    "password.reset": "忘記密碼完成",
    "email.change": "變更信箱申請",
    "email.confirm": "變更信箱完成",
    "email.cancel": "變更信箱取消",
    "login.change": "變更登入帳號",
    "account.update": "更新承辦人資訊",
    "account.reset": "帳號重置",
    "account.create": "建立帳號",
    "account.disable": "停用帳號",
    "account.lookup": "帳號查詢",
    "reminder.resend": "補寄稽催信件",
    "reminder.closure": "登錄停班停課或補行上班",
    "content.announcement": "公告管理",
    "content.faq": "Q&A 管理",
    "content.document": "文件管理",
    "content.templates": "範本適用學期",
    "consult.open": "線上諮詢提問",
    "consult.answer": "線上諮詢回覆",
    "consult.close": "線上諮詢結案",
    "consult.reopen": "線上諮詢重新開啟",
    "unit.add": "新增單位",
    "unit.edit": "修改單位",
    "unit.close": "單位裁撤",
    "unit.reopen": "單位復校",
    "units.import": "匯入單位名錄",
    "records.read": "查閱單位填報紀錄",
    "account.enable": "啟用帳號",
    "account.unlock": "解除登入鎖定",
    "account.resend": "重寄開通信",
    "factor.enrol": "設定兩步驟驗證",
    "factor.failed": "兩步驟驗證失敗",
    "factor.locked": "兩步驟驗證鎖定",
    "factor.recovery": "更新復原碼",
    "factor.remove": "關閉兩步驟驗證",
    "factor.reset.request": "申請重設兩步驟驗證",
    "factor.reset.approve": "核准重設兩步驟驗證",
    "factor.reset.reject": "駁回重設兩步驟驗證",
    "desk.state": "管理者設定填報狀態",
    "desk.bulk": "管理者批次設定填報狀態",
    "desk.amendments": "批次審核修改申請",
}


FAMILIES = {"login": "登入相關（全部）", "account": "帳號管理（全部）", "factor": "兩步驟驗證（全部）"}


def families() -> dict:
    """Event families (the part before the first dot) offered as one filter, with labels."""
    found = {event.split(".")[0] for event in EVENTS if "." in event}
    return {name: FAMILIES.get(name, f"{name}.*（全部）") for name in sorted(found)}


LOGIN_MAX = 64
DETAIL_MAX = 500
PAGE_SIZE = 100


SCAN_LIMIT = 20_000  # entries one page of a filtered search may read before it stops
VALUE_MAX = 200  # a before/after value is cut to this many characters
FIELDS_MAX = 20


class AuditEntry(Persistent):
    # Attributes added after the first entries were written: class defaults keep them valid.
    actor = ""  # who made the change (the logged-in account), "" for the public
    unit = ""  # the unit code concerned, if any
    what = ""  # the object changed, in words (「單位 013601 2024-09」, an announcement's title…)
    before = None  # {field: value} before the change
    after = None  # {field: value} after it

    def __init__(self, when, event, login, address, detail="", *, actor="", unit="", what="",
                 before=None, after=None):
        self.when = when
        self.event = event
        self.login = login
        self.address = address
        self.detail = detail
        if actor:
            self.actor = actor
        if unit:
            self.unit = unit
        if what:
            self.what = what
        if before is not None:
            self.before = before
        if after is not None:
            self.after = after

    @property
    def label(self):
        return EVENTS.get(self.event, self.event)

    def changes(self) -> list[tuple[str, str, str]]:
        """``(field, before, after)`` of each field the entry records, in order."""
        before, after = self.before or {}, self.after or {}
        fields = list(before) + [f for f in after if f not in before]
        return [(f, before.get(f, ""), after.get(f, "")) for f in fields]


SHARDS = 50  # divides the 100 sub-microsecond values of a key: a key's shard is key % SHARDS


class AuditLog(Persistent):
    """The audit log: ``SHARDS`` LOBTrees of time-ordered keys, ``key % SHARDS`` naming the
    tree. The object itself is written once (its tuple of trees); entries go to the trees.

    The mapping methods (``log[key]``, ``in``, ``len``, ``values()`` oldest first, …) are for
    scripts and tests; pages read through :func:`search`.
    """

    def __init__(self):
        self.shards = tuple(LOBTree() for _ in range(SHARDS))

    def __getitem__(self, key: int):
        return self.shards[key % SHARDS][key]

    def __setitem__(self, key: int, entry) -> None:
        self.shards[key % SHARDS][key] = entry

    def __contains__(self, key) -> bool:
        return isinstance(key, int) and key in self.shards[key % SHARDS]

    def get(self, key: int, default=None):
        return self.shards[key % SHARDS].get(key, default)

    def __len__(self) -> int:
        return sum(len(tree) for tree in self.shards)

    def clear(self) -> None:
        for tree in self.shards:
            tree.clear()

    def items(self) -> list:
        """Every ``(key, entry)``, oldest first."""
        return list(heapq.merge(*(tree.items() for tree in self.shards), key=lambda item: item[0]))

    def keys(self) -> list:
        return [key for key, _entry in self.items()]

    def values(self) -> list:
        return [entry for _key, entry in self.items()]


def audit_log(root):
    return root.audit_log  # created by the accounts evolve steps (an AuditLog since step 7)


def trees(log) -> tuple:
    """The LOBTrees of ``log``: its shards, or the one tree of a log not yet evolved."""
    return log.shards if isinstance(log, AuditLog) else (log,)


# The shard of each open ZODB connection of this process: concurrent transactions of one
# process use distinct connections, hence distinct shards (a closed connection's shard is
# reused). The offset spreads the processes of a deployment over the shards.
_writer_shards: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_writer_lock = threading.Lock()
_OFFSET = secrets.randbelow(SHARDS)


def writer_shard(connection) -> int:
    """The shard the transactions of ``connection`` append to (a free one on first use)."""
    if connection is None:  # an object not (yet) in a database
        return _OFFSET
    with _writer_lock:
        shard = _writer_shards.get(connection)
        if shard is None:
            taken = set(_writer_shards.values())
            free = [n for n in ((_OFFSET + i) % SHARDS for i in range(SHARDS)) if n not in taken]
            shard = free[0] if free else secrets.randbelow(SHARDS)  # more connections than shards
            _writer_shards[connection] = shard
    return shard


def _new_key(log, moment: dt.datetime) -> tuple[LOBTree, int]:
    """The tree to append to and a free key in it for an entry written at ``moment``."""
    if not isinstance(log, AuditLog):  # not yet evolved: the one tree, as before
        key = key_of(moment) + secrets.randbelow(100)
        while key in log:
            key += 1
        return log, key
    shard = writer_shard(log._p_jar)
    tree = log.shards[shard]
    key = key_of(moment) + shard
    while key in tree:  # taken (the same microsecond): the next key of the shard, so that a
        key += SHARDS  # request's entries of one instant keep their order
    return tree, key


def _values(values) -> dict | None:
    """A bounded copy of a before/after mapping (strings only)."""
    if values is None:
        return None
    return {str(k)[:60]: ("" if v is None else str(v))[:VALUE_MAX] for k, v in list(values.items())[:FIELDS_MAX]}


def _actor(request) -> str:
    try:
        account = request.identity
    except AttributeError:  # a script's request without the security policy
        return ""
    return account.login if account is not None else ""


def key_of(moment: dt.datetime, low: bool = True) -> int:
    """The first (or last) key an entry written at ``moment`` can have."""
    return int(moment.timestamp() * 1_000_000) * 100 + (0 if low else 99)


def record(request, event: str, login: str | None, detail: str = "", *, root=None, unit=None,
           before=None, after=None, what=None):
    """Append an event (joins the request's transaction).

    ``unit`` (a unit code), ``what`` (the object changed) and ``before`` / ``after`` (mappings
    of the fields changed) are for administrative changes; the actor is the logged-in account.
    """
    from ..resources.root import get_app_root
    from .throttle import client_address

    root = root if root is not None else get_app_root(request)
    now: dt.datetime = request.clock.now()
    tree, key = _new_key(audit_log(root), now)
    # Bounded whatever a client sent (schemas bound the fields; this is the last guard).
    tree[key] = AuditEntry(now, event, (login or "")[:LOGIN_MAX], client_address(request)[:64],
                          detail[:DETAIL_MAX], actor=_actor(request)[:LOGIN_MAX],
                          unit=(unit or "")[:20], what=(what or "")[:DETAIL_MAX],
                          before=_values(before), after=_values(after))
    return tree[key]


def _matches(entry, event, login, unit, exact=False) -> bool:
    if event and entry.event != event and not entry.event.startswith(event + "."):
        return False
    if login and exact and login not in (entry.login.lower(), entry.actor.lower()):
        return False
    if login and not exact and login not in entry.login.lower() and login not in entry.actor.lower():
        return False
    return not unit or entry.unit == unit


def search(root, *, event=None, login=None, unit=None, since=None, until=None, before_key=None,
           limit=PAGE_SIZE, scan_limit=SCAN_LIMIT, login_exact=False):
    """One page of matching entries, newest first, without reading the whole log.

    The time filters become a key range of the log (keys are time-ordered); inside it entries
    are read newest-first one key at a time (``maxKey`` of each shard, merged:
    :func:`newest_first`) and the other filters (event or event family, login or actor
    containing ``login`` — or equal to it with ``login_exact`` — unit code) tested, until
    ``limit`` match or ``scan_limit`` were read. ``before_key`` continues from a previous page.

    Returns ``{"entries": [(key, entry)], "next_key": key or None, "stopped_at": when or None}``:
    ``next_key`` continues to older entries; ``stopped_at`` is set when the scan limit stopped
    the page early (the entries older than it were not looked at yet).
    """
    log = getattr(root, "audit_log", None)
    found, result = [], {"entries": [], "next_key": None, "stopped_at": None}
    if log is None:
        return result
    low = key_of(since) if since else None
    high = key_of(until, low=False) if until else None
    if before_key is not None:
        high = before_key - 1 if high is None else min(high, before_key - 1)
    login = (login or "").lower()
    scanned = 0
    for key, entry in newest_first(log, high=high, low=low):
        scanned += 1
        if _matches(entry, event, login, unit, login_exact):
            found.append((key, entry))
            if len(found) > limit:
                break
        if scanned >= scan_limit:
            result["stopped_at"] = entry.when
            result["next_key"] = key
            break
    if len(found) > limit:
        result["next_key"] = found[limit - 1][0]
    result["entries"] = found[:limit]
    return result


def newest_first(log, *, high=None, low=None):
    """``(key, entry)`` of ``log`` from ``high`` (inclusive; None: the newest) down to ``low``
    (inclusive; None: the oldest), merging the shards: one ``maxKey`` per entry read, never a
    whole shard."""
    shards = trees(log)
    heap = []
    for number, tree in enumerate(shards):
        key = _max_key(tree, high)
        if key is not None and (low is None or key >= low):
            heap.append((-key, number))
    heapq.heapify(heap)
    while heap:
        key, number = heapq.heappop(heap)
        key = -key
        tree = shards[number]
        yield key, tree[key]
        older = _max_key(tree, key - 1)
        if older is not None and (low is None or older >= low):
            heapq.heappush(heap, (-older, number))


def _max_key(tree, high):
    try:
        return tree.maxKey() if high is None else tree.maxKey(high)
    except ValueError:  # nothing at or below ``high``
        return None


def entries(root, *, event=None, login=None, since=None, until=None, limit=200, offset=0):
    """Newest-first entries matching the filters: ``limit`` of them after skipping ``offset``
    (for scripts and tests; the audit page uses :func:`search`)."""
    page = search(root, event=event, login=login, since=since, until=until, limit=limit + offset,
                  scan_limit=10 ** 9)
    return [entry for _key, entry in page["entries"]][offset:offset + limit]
