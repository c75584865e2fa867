"""The 22 counties/cities and the map from school-code area prefixes to them.

Codes are the Ministry of the Interior's; the area prefix of a 6-character MOE
school code maps to a county by table, never by parsing names.
"""
from __future__ import annotations

COUNTIES: dict[str, str] = {
    "63000": "臺北市",
    "64000": "高雄市",
    "65000": "新北市",
    "66000": "臺中市",
    "67000": "臺南市",
    "68000": "桃園市",
    "10002": "宜蘭縣",
    "10004": "新竹縣",
    "10005": "苗栗縣",
    "10007": "彰化縣",
    "10008": "南投縣",
    "10009": "雲林縣",
    "10010": "嘉義縣",
    "10013": "屏東縣",
    "10014": "臺東縣",
    "10015": "花蓮縣",
    "10016": "澎湖縣",
    "10017": "基隆市",
    "10018": "新竹市",
    "10020": "嘉義市",
    "09020": "金門縣",
    "09007": "連江縣",
}

AREA_TO_COUNTY: dict[str, str] = {
    "01": "65000",
    "02": "10002",
    "03": "68000",
    "04": "10004",
    "05": "10005",
    "06": "66000",  # former 臺中縣
    "07": "10007",
    "08": "10008",
    "09": "10009",
    "10": "10010",
    "11": "67000",  # former 臺南縣
    "12": "64000",  # former 高雄縣
    "13": "10013",
    "14": "10014",
    "15": "10015",
    "16": "10016",
    "17": "10017",
    "18": "10018",
    "19": "66000",  # former 臺中市
    "20": "10020",
    "21": "67000",  # former 臺南市
    **{f"{n:02d}": "63000" for n in range(31, 43)},  # 臺北市 by district
    **{f"{n:02d}": "64000" for n in range(51, 62)},  # 高雄市 (former city) by district
    "71": "09020",
    "72": "09007",
}

# The area prefix used for each county's counselling centre code (proposed: prefix + C + 3 digits).
CENTRE_PREFIX: dict[str, str] = {}
for _area, _county in AREA_TO_COUNTY.items():
    CENTRE_PREFIX.setdefault(_county, _area)

# The name variants the MOE directory uses (台/臺).
_NAME_ALIASES = {name.replace("臺", "台"): code for code, name in COUNTIES.items()}


def county_for_unit_code(code: str) -> str | None:
    """The county code for a unit code, by its two-digit area prefix."""
    return AREA_TO_COUNTY.get(code[:2])


def county_code_by_name(name: str) -> str | None:
    name = name.strip()
    for code, cname in COUNTIES.items():
        if cname == name:
            return code
    return _NAME_ALIASES.get(name)
