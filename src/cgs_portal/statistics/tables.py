"""The statistics tables: 表I–IX of the schools (family A) and 表i–ix of the centres (family B).

Each table says which rows it reads, what its rows are (a code list of one column, single
or multi-valued), whether it splits by grade (or 對象) and sex, what 人次 sums, whether
人數 is offered, and which step-3 filters apply. The query engine (``query``) works from
these definitions only. Plain data: no web, no database.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..workbook import codes as C

VISITS, PERSONS = "visits", "persons"
MEASURES = {VISITS: "人次", PERSONS: "人數"}

STATUS_ROWS = ((1, "已填報"), (2, "逾期補填"), (3, "當月無個案及服務"), (0, "未填報"))


@dataclass(frozen=True)
class TableDef:
    id: str
    family: str  # 'A' schools, 'B' centres
    title: str
    source: str  # 'cases' | 'services' | 'teachers' | 'status'
    rows_label: str
    row_codes: tuple  # ((code, label), ...)
    field: str = ""  # the index column the rows are read from
    multi: bool = False  # the field is a bitmask (several codes per row)
    grades: bool = True  # columns split by grade (services: by 對象)
    sex: bool = True  # columns split by sex
    weight: str = ""  # 人次 sums this column instead of counting rows
    new_only: bool = False  # only 新案 rows
    persons: bool = True  # 人數 is offered
    filters: tuple = ("staff", "grades", "sex")
    note: str = ""

    @property
    def measures(self) -> tuple:
        return (VISITS, PERSONS) if self.persons else (VISITS,)

    @property
    def sensitive(self) -> bool:
        """Counts children: small cells are suppressed for everyone above the unit."""
        return self.source == "cases"

    @property
    def label(self) -> str:
        return f"表{self.id} {self.title}"


def _case_tables(family: str, numerals: tuple) -> list[TableDef]:
    sources = C.CASE_SOURCES_A if family == "A" else C.CASE_SOURCES_B
    staff = C.STAFF_TYPES_A if family == "A" else C.STAFF_TYPES_B
    who = "學校" if family == "A" else "輔諮中心"
    fifth = (TableDef(numerals[4], family, "轉介概況", "cases", "轉介概況", C.REFERRALS, "referral")
             if family == "A" else
             TableDef(numerals[4], family, "服務型態", "cases", "服務型態", C.SERVICE_MODES, "mode",
                      note="輔諮中心表單無轉介概況欄位，本表以服務型態呈現。"))
    return [
        TableDef(numerals[0], family, f"{who}輔導議題人次", "cases", "個案類別", C.CATEGORIES, "main",
                 filters=("staff", "grades", "category", "sex"),
                 note="統計類別「主+副」時，一列個案依其主類別及每個副類別各計一次。"),
        TableDef(numerals[1], family, "個案人數", "cases", "輔導概況", C.CASE_STATUS, "case_status"),
        TableDef(numerals[2], family, "晤談人次", "cases", "個案類別(主)", C.CATEGORIES, "main",
                 weight="sessions", note="人次為當月晤談累積次數之總和。"),
        TableDef(numerals[3], family, "個案來源", "cases", "個案來源",
                 tuple(p for p in sources if p[0]), "source", multi=True, sex=False, new_only=True,
                 note="僅計新案；同一個案列出之每一來源各計一次。"),
        fifth,
        TableDef(numerals[5], family, "學生身分", "cases", "學生身分", C.STUDENT_STATUS, "status",
                 multi=True, note="學生身分可複選，每一身分各計一次。"),
        TableDef(numerals[6], family, "相關服務人次", "services", "服務項目", C.SERVICE_ITEMS, "item",
                 persons=False, filters=("staff", "grades", "targets", "sex"),
                 note="欄為服務對象；人次為服務人次(男)、(女)之總和。服務對象不指定時含教職員、家長及專業人員。"),
        TableDef(numerals[7], family, "輔導人力", "teachers", "輔導人力類型", staff, "staff",
                 grades=False, sex=False, filters=("staff",),
                 note="人數為不重複之教師（專業人員）編碼；人次為各月人數之總和。"),
        TableDef(numerals[8], family, "填報狀況", "status", "填報狀況", STATUS_ROWS, grades=False,
                 sex=False, persons=False, filters=(),
                 note="單位月數：已填報、逾期補填、當月無個案及服務、未填報（應填報而未填報）。"),
    ]


TABLES: dict[str, TableDef] = {
    t.id: t for t in (
        _case_tables("A", ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"))
        + _case_tables("B", ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix")))
}
#: 學校個案成果 offers these tables, 學校服務成果 the services table.
CASE_PAGE = ("I", "II", "III", "IV", "V", "VI", "VIII", "IX", "i", "ii", "iii", "iv", "v", "vi",
             "viii", "ix")
SERVICE_PAGE = ("VII", "vii")

CATEGORY_MODES = {"both": "主+副類別", "main": "主類別", "sub": "副類別"}
SEX_OPTIONS = {"all": "All", "male": "生理男", "female": "生理女", "total": "總計"}
LAYOUTS = {"merged": "合併彙整", "monthly": "逐月彙整"}
GROUPS = {"none": "不分組", "county": "依縣市", "level": "依學制", "unit": "依單位"}
SEX_LABELS = {1: "男", 2: "女"}
