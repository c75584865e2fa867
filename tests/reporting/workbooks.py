"""Workbooks for the filing tests, built with the workbook branch's corpus generator."""
from __future__ import annotations

from support import load_corpus

corpus = load_corpus()
PRIMARY = (1, 2, 3, 4, 5, 6)


def workbook(roc_year=113, month=9, *, cases=5, services=4, seed=3, version="113",
             unit_code="013601", unit_name="新北市立示範光明國民小學", mutate=None) -> bytes:
    """A filled workbook for the 國小 unit 013601 (``mutate(case_rows, service_rows)`` to spoil it)."""
    case_rows = corpus.random_rows(version, "cases", cases, seed=seed, grades=PRIMARY)
    service_rows = corpus.random_rows(version, "services", services, seed=seed + 1, grades=PRIMARY)
    if mutate:
        mutate(case_rows, service_rows)
    return corpus.filled(version, case_rows, service_rows, unit_code=unit_code, unit_name=unit_name,
                         roc_year=roc_year, month=month)

