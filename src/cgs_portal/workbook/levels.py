"""The school levels a reporting unit can have: one table, every level rule derived from it.

A unit is one school at one level (一學制一帳號) or a county counselling centre. Its level
decides the workbook family it files, the grades its students may be in, the account
category of the registration page, whether 高中階段-only codes apply, and the digit of
the MOE directory code that names the level. Add or change a level here and nowhere else.
"""
from __future__ import annotations

from dataclasses import dataclass

ALL_GRADES = tuple(range(1, 13))
CENTRE = '輔諮中心'


@dataclass(frozen=True)
class SchoolLevel:
    """One school level and what follows from it."""
    name: str                      # the level as stored on a Unit (國小, 高職, 輔諮中心 …)
    category: str                  # the account category of the registration page
    family: str                    # the workbook family it files: 'A' schools, 'B' centres
    grades: tuple[int, ...]        # the grades its students may be in
    code_digits: tuple[str, ...]   # 4th character of its MOE code; the first one names it
    senior: bool = False           # 高中階段: may use the senior-only codes (e.g. 個案來源 6)
    #: words naming this level in the name or heading of an MOE directory file
    directory_words: tuple[str, ...] = ()

    @property
    def code_digit(self) -> str | None:
        """The digit that marks this level in a unit code, if the MOE code has one."""
        return self.code_digits[0] if self.code_digits else None


SCHOOL_LEVELS = (
    # The 4th code character of a 國小 is often 7 or 8 too (a county's serial running on past
    # 100 schools): the digit names the level only where no directory file does.
    SchoolLevel('國小', '國小', 'A', tuple(range(1, 7)), ('6',), directory_words=('國民小學', '國小')),
    SchoolLevel('國中', '國中', 'A', tuple(range(7, 10)), ('5',), directory_words=('國民中學', '國中')),
    SchoolLevel('高中', '高中職', 'A', tuple(range(10, 13)), ('3', 'B'), senior=True,
                directory_words=('高中',)),
    SchoolLevel('高職', '高中職', 'A', tuple(range(10, 13)), ('4',), senior=True,
                directory_words=('高級職業', '高職')),
    SchoolLevel('特殊教育學校', '特殊教育學校', 'A', ALL_GRADES, ('F',),
                directory_words=('特殊教育學校', '特教學校')),
    # A centre's code carries a C (area prefix + C + 3 digits), not a level digit.
    SchoolLevel(CENTRE, CENTRE, 'B', ALL_GRADES, (), directory_words=('學生輔導諮商中心', CENTRE)),
)

LEVEL_BY_NAME = {level.name: level for level in SCHOOL_LEVELS}
LEVELS = tuple(LEVEL_BY_NAME)
#: Grades allowed by default for each unit level.
LEVEL_GRADES = {level.name: level.grades for level in SCHOOL_LEVELS}
SENIOR_LEVELS = frozenset(level.name for level in SCHOOL_LEVELS if level.senior)
#: The level named by the 4th character of an MOE school code.
LEVEL_BY_DIGIT = {digit: level.name for level in SCHOOL_LEVELS for digit in level.code_digits}
#: The digit that names each school level (the suffix of a second-level unit code).
DIGIT_OF_LEVEL = {level.name: level.code_digit for level in SCHOOL_LEVELS if level.code_digit}
#: (word, level) pairs naming a directory file's level, longest word first.
LEVEL_WORDS = tuple(sorted(
    ((word, level.name) for level in SCHOOL_LEVELS for word in level.directory_words),
    key=lambda pair: -len(pair[0]),
))
#: The account categories, in table order (高中 and 高職 share 高中職).
CATEGORIES = tuple(dict.fromkeys(level.category for level in SCHOOL_LEVELS))


def family_of_level(level: str) -> str:
    """The workbook family a unit of ``level`` files ('A' for an unknown level)."""
    found = LEVEL_BY_NAME.get(level)
    return found.family if found else 'A'


def grades_of_level(level: str) -> tuple[int, ...]:
    """The grades allowed at ``level`` (every grade for an unknown level)."""
    return LEVEL_GRADES.get(level, ALL_GRADES)


def category_of_level(level: str) -> str:
    """The account category of ``level`` (an unknown level is its own category)."""
    found = LEVEL_BY_NAME.get(level)
    return found.category if found else level
