"""The adapter's own rules: months offered, the signed merged copy, leftover request folders."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from cgs_portal.helper import service
from cgs_portal.reporting.rules import Refused


def test_request_folders_of_killed_processes_are_removed(tmp_path):
    dead = tmp_path / "cgs-helper-999999999-abc"
    live = tmp_path / "cgs-helper-1-abc"       # pid 1 always runs
    other = tmp_path / "something-else"
    for folder in (dead, live, other):
        folder.mkdir()
        (folder / "f.xlsx").write_bytes(b"x")
    assert service.clean_temporary(str(tmp_path)) == 1
    assert not dead.exists() and live.exists() and other.exists()
    assert service.clean_temporary(str(tmp_path / "missing")) == 0


def test_the_temporary_folder_is_gone_after_the_request(tmp_path):
    with service.temporary_folder(str(tmp_path)) as folder:
        (tmp_path / folder / "a.xlsx").write_bytes(b"x")
    assert list(tmp_path.iterdir()) == []


def test_check_months_cover_this_and_last_academic_year_up_to_now():
    months = service.check_months(dt.date(2024, 11, 5))
    assert months[0] == (2024, 11) and months[-1] == (2023, 8) and len(months) == 16


def test_the_merged_copy_is_bound_to_unit_month_and_bytes():
    unit, other = SimpleNamespace(code="013601"), SimpleNamespace(code="333601")
    packed = service.pack("secret", unit, (2024, 10), b"PK data")
    assert service.unpack("secret", unit, (2024, 10), packed["merged"], packed["sig"]) == b"PK data"
    for args in (("secret", other, (2024, 10)), ("secret", unit, (2024, 9)), ("other", unit, (2024, 10))):
        with pytest.raises(Refused):
            service.unpack(*args, packed["merged"], packed["sig"])
    with pytest.raises(Refused):
        service.unpack("secret", unit, (2024, 10), "not base64!", packed["sig"])
    with pytest.raises(Refused):
        service.unpack("secret", unit, (2024, 10), None, None)
