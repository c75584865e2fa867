"""A small hand-made index: the figures of tests/statistics/test_tables.py are counted by hand from it."""
from __future__ import annotations

import datetime as dt

from cgs_portal.statistics.index import FILED, FILED_LATE, NO_CASES, StatsIndex


def case(teacher, staff, student, grade, sex, main, sub=(0,), source=(0,), status=(0,),
         case_status=2, referral=2, sessions=1):
    return {"teacher_code": teacher, "staff_type": staff, "student_code": student, "grade": grade,
            "sex": sex, "main_category": main, "sub_categories": sub, "case_source": source,
            "student_status": status, "case_status": case_status, "referral": referral,
            "sessions": sessions}


def service(teacher, staff, item, target, male, female):
    return {"teacher_code": teacher, "staff_type": staff, "service_item": item, "target": target,
            "male": male, "female": female, "events": 1}


SEP = [
    case("T1", 1, "S1", 3, 1, 5, sub=(3, 8), source=(1, 3), case_status=1, sessions=2),
    case("T1", 1, "S2", 3, 2, 5, source=(2,), status=(8,), case_status=1, referral=1, sessions=1),
    case("T2", 2, "S3", 4, 1, 1, sub=(5,), sessions=3),
]
OCT = [
    case("T1", 1, "S1", 3, 1, 5, sessions=1),
    case("T2", 2, "S3", 4, 1, 3, status=(8, 11), referral=3, sessions=4),
]
SEP_SERVICES = [service("T1", 1, 4, 13, 1, 2), service("T1", 1, 1, 3, 5, 4)]
OCT_SERVICES = [service("T2", 2, 1, 3, 2, 0)]


def small_index() -> StatsIndex:
    index = StatsIndex()
    index.set_unit("013601", "示範國小", "65000", "國小", "A", opened_on=dt.date(2022, 8, 1))
    index.set_unit("333601", "臺北國小", "63000", "國小", "A", opened_on=dt.date(2022, 8, 1))
    index.replace("013601", 2024, 9, SEP, SEP_SERVICES, FILED, "a")
    index.replace("013601", 2024, 10, OCT, OCT_SERVICES, FILED_LATE, "b")
    index.replace("013601", 2024, 11, (), (), NO_CASES, "c")
    return index
