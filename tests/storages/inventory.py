"""Everything the portal holds about filings, read straight from a database, for comparisons.

``inventory(root)`` lists every monthly report of every unit with its state, its filings and
its uploads, each upload with the SHA-256 of its blob (a missing blob file raises here:
zodbverify alone does not notice one). The backup/restore, pack and fault tests and
bench/peak.py compare these.
"""
from __future__ import annotations

import contextlib
import hashlib

import transaction


def blob_sha256(blob) -> str:
    digest = hashlib.sha256()
    with blob.open("r") as source:
        for chunk in iter(lambda: source.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def report_entry(report) -> dict:
    filing = report.filing
    return {
        "state": report.state,
        "serial": report.serial,
        "filing": None if filing is None else (filing.kind, filing.upload_number, filing.serial,
                                               tuple(sorted(filing.counts.items()))),
        "filings": tuple((f.kind, f.upload_number, f.serial) for f in report.filings),
        "uploads": tuple((u.number, u.status, u.size, blob_sha256(u.blob)) for u in report.uploads or ()),
        "history": len(report.history),
    }


def inventory(root) -> dict:
    """``{(county, unit, academic year, month key): report_entry}`` of the whole portal."""
    found = {}
    for county_code, county in root["counties"].items():
        for unit_code, unit in county.items():
            for ay, year in unit.items():
                for key, report in year.items():
                    found[(county_code, unit_code, ay, key)] = report_entry(report)
    return found


def generations(root) -> dict:
    """Each county's filing generation (a BTrees.Length bumped once per filing)."""
    return {code: county.filing_generation() for code, county in root["counties"].items()}


@contextlib.contextmanager
def opened_root(uri: str):
    """The portal root of the database at ``uri``, read-only use, closed afterwards."""
    from ZODB import DB
    from zodburi import resolve_uri

    from cgs_portal.evolve import APP_KEY

    factory, dbkw = resolve_uri(uri)
    db = DB(factory(), **dbkw)
    tm = transaction.TransactionManager(explicit=True)
    try:
        tm.begin()
        conn = db.open(transaction_manager=tm)
        try:
            yield conn.root()[APP_KEY]
        finally:
            tm.abort()
            conn.close()
    finally:
        db.close()


def inventory_of(uri: str) -> tuple[dict, dict]:
    with opened_root(uri) as root:
        return inventory(root), generations(root)
