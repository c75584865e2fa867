"""The MOE directory import: parsing, change lists, idempotency, never deleting."""
from __future__ import annotations

import datetime as dt

import pytest

from cgs_portal.demo import demo_directory_csv
from cgs_portal.directory import DirectoryError, apply_import, parse_directory, plan_import

HEADER = "學年度,代碼,學校名稱,公/私立,縣市名稱,地址,電話,網址,備註\n"
HUAQIAO = (
    "112,010301,國立華僑高級中等學校,公立,[01]新北市,"
    "[220]新北市板橋區大觀路一段32號,(02)29684131,http://www.nocsh.ntpc.edu.tw,\n"
)
TODAY = dt.date(2024, 10, 3)


def test_parses_the_published_example_row_with_bom():
    rows, warnings = parse_directory(("\ufeff" + HEADER + HUAQIAO).encode("utf-8"))
    assert warnings == []
    (row,) = rows
    assert (row.code, row.name, row.level, row.county_code, row.public) == (
        "010301", "國立華僑高級中等學校", "高中", "65000", True)
    assert row.address.startswith("[220]新北市") and row.phone == "(02)29684131"


def test_without_optional_columns_and_quoted_values():
    data = '代碼,學校名稱,公/私立,縣市名稱,地址,電話,網址\n"333601","臺北市立示範國小","公立","[33]臺北市","[100]x","(02)1","u"\n'
    rows, _ = parse_directory(data.encode())
    assert rows[0].county_code == "63000" and rows[0].level == "國小"


def test_county_comes_from_the_area_prefix_table_and_mismatch_warns():
    data = HEADER + "113,193501,臺中示範國中,公立,[06]臺中市,[400]x,1,u,\n"
    rows, warnings = parse_directory(data.encode())
    assert rows[0].county_code == "66000"  # 19 = former 臺中市
    assert any("bracket" in w for w in warnings)


def test_bad_files_raise_clear_messages():
    with pytest.raises(DirectoryError, match="找不到「代碼」欄位"):
        parse_directory("名稱,地址\n".encode())
    with pytest.raises(DirectoryError, match="空的"):
        parse_directory(b"")


def test_bad_codes_are_skipped_with_a_warning():
    rows, warnings = parse_directory((HEADER + "113,12,壞,公立,[01]新北市,,,,\n").encode())
    assert rows == [] and "skipped" in warnings[0]


def test_second_level_of_a_combined_school_gets_its_own_unit():
    rows, _ = parse_directory((HEADER + HUAQIAO).encode(), level="國中")
    assert rows[0].code == "0103015" and rows[0].level == "國中"


def _import(portal, data, **kw):
    with portal() as root:
        rows, warnings = parse_directory(data.encode())
        plan = plan_import(root["counties"], rows, warnings)
        apply_import(root["counties"], plan, TODAY, **kw)
        return plan


def test_import_is_idempotent_and_reports_changes(portal):
    first = _import(portal, HEADER + HUAQIAO)
    assert [r.code for r in first.added] == ["010301"]
    again = _import(portal, HEADER + HUAQIAO)
    assert again.changes == 0 and not again.missing
    renamed = _import(portal, HEADER + HUAQIAO.replace("國立華僑高級中等學校", "國立華僑實驗高級中學"))
    assert len(renamed.renamed) == 1
    assert "renamed  010301" in renamed.report()


def test_missing_units_are_reported_not_closed_unless_asked(portal):
    _import(portal, HEADER + HUAQIAO)
    other = HEADER + "113,013601,示範國小,公立,[01]新北市,,,,\n"
    plan = _import(portal, other)
    assert [u.code for u in plan.missing] == ["010301"]
    with portal() as root:
        assert root["counties"]["65000"]["010301"].closed_on is None
    _import(portal, other, close_missing=True)
    with portal() as root:
        unit = root["counties"]["65000"]["010301"]
        assert unit.closed_on == TODAY  # closed, never deleted
        assert not unit.is_open_in(2024, 11) and unit.is_open_in(2024, 10)


def test_moved_unit_keeps_its_contents(portal):
    from cgs_portal.resources import AcademicYear

    _import(portal, HEADER + HUAQIAO)
    with portal() as root:
        root["counties"]["65000"]["010301"].add("113", AcademicYear(113))
    moved = HEADER + HUAQIAO.replace("[01]新北市", "[01]新北市").replace("010301", "010301")
    # simulate a move by editing the stored county
    with portal() as root:
        unit = root["counties"]["65000"].remove("010301")
        unit.county_code = "63000"
        root["counties"]["63000"].add("010301", unit)
    plan = _import(portal, moved)
    assert len(plan.moved) == 1
    with portal() as root:
        assert "113" in root["counties"]["65000"]["010301"]


def test_demo_directory_file_matches_its_generator():
    from importlib import resources

    stored = resources.files("cgs_portal").joinpath("data/demo_units.csv").read_text("utf-8")
    assert stored == demo_directory_csv()
    rows, warnings = parse_directory(stored.encode())
    assert not warnings
    assert 400 <= len(rows) - 22 <= 420
    levels = {r.level for r in rows}
    assert levels == {"國小", "國中", "高中", "高職", "特殊教育學校", "輔諮中心"}
    assert len({r.county_code for r in rows}) == 22
    assert sum(r.level == "輔諮中心" for r in rows) == 22
    assert all("示範" in r.name for r in rows)
    assert any("華僑" in r.name for r in rows)


@pytest.fixture
def demo_directory(portal):
    """The tree with the demo directory's units only (no accounts, reports or passwords)."""
    rows, warnings = parse_directory(demo_directory_csv().encode())
    with portal() as root:
        apply_import(root["counties"], plan_import(root["counties"], rows, warnings),
                     dt.date(2024, 8, 1))
    return portal


def test_demo_directory_has_the_guide_example(demo_directory):
    from cgs_portal.accounts.units import search_units

    with demo_directory() as root:
        names = [u.name for u in search_units(root, "高中職", "華僑")]
    assert names == ["國立華僑高級中等學校（示範）"]


# Issue 10 item 19: the level is the directory file's, the code digit only a check. --------
PRIMARY_7_8 = HEADER + (
    "113,013601,新北市立示範國小,公立,[01]新北市,,,,\n"
    "113,014701,新北市立示範七國小,公立,[01]新北市,,,,\n"
    "113,014802,新北市立示範八國小,公立,[01]新北市,,,,\n"
)


def test_a_primary_directory_keeps_codes_with_7_or_8_as_level_digit():
    rows, warnings = parse_directory(PRIMARY_7_8.encode(), level="國小")
    assert [(r.code, r.level) for r in rows] == [
        ("013601", "國小"), ("014701", "國小"), ("014802", "國小")]
    # the digit is a consistency check, counted once, not one line per school
    (warning,) = warnings
    assert "2 code(s)" in warning and "國小" in warning


def test_the_level_comes_from_the_file_name_or_its_heading():
    rows, _ = parse_directory(PRIMARY_7_8.encode(), source_name="113學年度國民小學名錄.csv")
    assert {r.level for r in rows} == {"國小"} and len(rows) == 3
    headed = "113學年度國民小學名錄\n" + PRIMARY_7_8
    rows, _ = parse_directory(headed.encode())
    assert {r.level for r in rows} == {"國小"} and len(rows) == 3


def test_a_file_that_names_no_level_is_refused_rather_than_losing_rows():
    with pytest.raises(DirectoryError, match="--level"):
        parse_directory(PRIMARY_7_8.encode(), source_name="schools.csv")


def test_missing_units_are_counted_per_county_not_listed_one_per_line(portal):
    many = HEADER + "".join(
        f"113,01{n:04d},新北市立示範{n}國小,公立,[01]新北市,,,,\n" for n in range(3601, 3631)
    ) + "".join(f"113,33{n:04d},臺北市立示範{n}國小,公立,[33]臺北市,,,,\n" for n in range(3601, 3606))
    _import(portal, many)
    plan = _import(portal, HEADER + "113,013601,新北市立示範3601國小,公立,[01]新北市,,,,\n")
    assert len(plan.missing) == 34
    report = plan.report()
    assert "missing  新北市 29" in report and "missing  臺北市 5" in report
    assert "013602" not in report  # the full list goes to a file (missing_list)
    listed = plan.missing_list()
    assert len(listed.splitlines()) == 34 and "013602\t新北市立示範3602國小\t新北市" in listed
