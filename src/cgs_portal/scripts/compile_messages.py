"""Compile the portal's gettext catalogues (``locale/*/LC_MESSAGES/*.po``) to ``.mo``.

``python -m cgs_portal.scripts.compile_messages`` rewrites every ``.mo`` next to its
``.po``; the compiled files are committed, and a test keeps them equal to their
sources. A few lines of GNU ``.mo`` writing, because neither Babel nor polib is a
dependency and CPython's ``Tools/i18n/msgfmt.py`` is not installed everywhere.
Handles what our catalogues use: ``msgid``/``msgstr`` with continued lines, comments,
no plurals or contexts; untranslated (empty) entries are left out.
"""
from __future__ import annotations

import ast
import struct
import sys
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def parse_po(path: Path) -> dict[str, str]:
    """msgid -> msgstr of a simple .po file (the header under the empty msgid)."""
    messages: dict[str, str] = {}
    key = None
    parts: dict[str, list[str]] = {}

    def flush():
        if "msgid" in parts:
            msgid, msgstr = "".join(parts["msgid"]), "".join(parts.get("msgstr", []))
            if msgstr:
                messages[msgid] = msgstr

    for raw in path.read_text("utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid "):
            flush()
            parts, key = {"msgid": []}, "msgid"
            line = line[len("msgid "):]
        elif line.startswith("msgstr "):
            key = "msgstr"
            parts[key] = []
            line = line[len("msgstr "):]
        if key is None or not line.startswith('"'):
            raise ValueError(f"{path}: cannot read {raw!r}")
        parts[key].append(ast.literal_eval(line))
    flush()
    return messages


def write_mo(messages: dict[str, str]) -> bytes:
    """The GNU .mo bytes for ``messages`` (keys sorted, as gettext's binary search needs)."""
    keys = sorted(messages)
    ids = [k.encode("utf-8") for k in keys]
    strs = [messages[k].encode("utf-8") for k in keys]
    count = len(keys)
    header_size = 7 * 4
    ids_table, strs_table = header_size, header_size + count * 8
    data_start = strs_table + count * 8
    id_offsets, offset, blob = [], data_start, b""
    for item in ids:
        id_offsets.append((len(item), offset))
        blob += item + b"\0"
        offset += len(item) + 1
    str_offsets = []
    for item in strs:
        str_offsets.append((len(item), offset))
        blob += item + b"\0"
        offset += len(item) + 1
    out = struct.pack("<7I", 0x950412DE, 0, count, ids_table, strs_table, 0, 0)
    out += b"".join(struct.pack("<2I", *pair) for pair in id_offsets)
    out += b"".join(struct.pack("<2I", *pair) for pair in str_offsets)
    return out + blob


def compile_po(path: Path) -> bytes:
    """The .mo bytes of one .po file."""
    return write_mo(parse_po(path))


def main(argv=None) -> int:
    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        po.with_suffix(".mo").write_bytes(compile_po(po))
        print(f"compiled {po.relative_to(LOCALE_DIR)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
