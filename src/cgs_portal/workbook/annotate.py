"""The user's own workbook, marked up: missing cells yellow, invalid cells red, each with a
comment saying what to fix.

An openpyxl load/save round trip costs seconds on a big file and silently drops features
it does not model, so the copy is made by patching the zip instead: two kinds of new
``cellXfs`` entries (each user style cloned with a yellow or red fill) are appended to
``styles.xml``; the ``s=`` attribute of each marked cell points at the clone (a cell with
no ``<c>`` element, or a row with no ``<row>``, is inserted in order); comments go into a
comments part with its legacy VML drawing, merged with comments the sheet already has.
Every other part is copied unchanged, except what could run in the reader's spreadsheet:
external links are dropped, formulas give way to their cached values and formula-like text
is quoted (``safety.disarm_sheet``): the copy is data, the stored original is the record.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
import zlib
from html import escape
from posixpath import basename

from openpyxl.utils import column_index_from_string, get_column_letter

from .ooxml import (
    CELL,
    CT_COMMENTS,
    CT_VML,
    NS_MAIN,
    NS_PKG_REL,
    NS_R,
    REL_COMMENTS,
    REL_STYLES,
    REL_VML,
    RELATIONSHIP,
    ROW_OPEN,
    relationship_target,
    relative,
    rels_path,
    resolve,
)
from .reader import FileRefused, open_book
from .safety import disarm_sheet, neutralise, quote_formula_text

log = logging.getLogger(__name__)

YELLOW = 'FFFFFF00'
RED = 'FFFF5050'
AUTHOR = 'cgs-portal'
RESULTS_SHEET = '檢核結果'
CT_SHEET = 'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml'
REL_SHEET = NS_R + '/worksheet'
SEVERITY_LABELS = {'error': '錯誤', 'warning': '提醒'}


_SHEETDATA_END = re.compile(rb'</(?:\w+:)?sheetData>')
_SHEETDATA_EMPTY = re.compile(rb'<((?:\w+:)?)sheetData\s*/>')
_R_ATTR = re.compile(rb'\br="([A-Za-z]*)(\d*)"')
_S_ATTR = re.compile(rb'\bs="(\d+)"')
_SPANS = re.compile(rb'\s+spans="[^"]*"')
_ROOT = re.compile(rb'<((?:\w+:)?)worksheet\b[^>]*>')


def annotate_workbook(data: bytes, problems) -> bytes:
    """``data`` with every error cell filled (yellow missing, red invalid) and commented.

    A file that cannot be read, or patched, comes back unchanged (and is logged): the
    problem list is still the answer, the marked-up copy only a convenience."""
    try:
        return _annotate(bytes(data), problems)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, FileRefused) as damaged:
        # A damaged member the validator's reader tolerated: the user's file, not our bug.
        log.warning('workbook not annotated, the file is damaged: %s', damaged)
        return bytes(data)
    except Exception:  # noqa: BLE001 - never fail the upload page over the copy
        log.exception('annotating a workbook failed')
        return bytes(data)


def _annotate(data: bytes, problems) -> bytes:
    try:
        book = open_book(data, max_bytes=1 << 40)
    except FileRefused:
        return data
    marks = {}   # sheet title -> {(row, col): [kind, [texts]]}
    for p in problems:
        if getattr(p, 'severity', 'error') != 'error' or p.row is None or not p.column:
            continue
        if p.kind not in ('missing', 'invalid') or p.sheet not in book.sheet_paths:
            continue
        try:
            col = column_index_from_string(p.column)
        except ValueError:
            continue
        cell = marks.setdefault(p.sheet, {}).setdefault((p.row, col), ['missing', []])
        if p.kind == 'invalid':
            cell[0] = 'invalid'
        text = p.message + ('。' + p.fix if p.fix else '')
        if text not in cell[1]:
            cell[1].append(text)
    listed = [p for p in problems if getattr(p, 'kind', '') != 'file' or getattr(p, 'severity', '') == 'warning']
    return _Patcher(book, marks, listed).run()


class _Patcher:
    def __init__(self, book, marks, listed=()):
        self.book = book
        self.marks = marks
        self.listed = listed   # every problem, errors and warnings, for the results sheet
        self.zin = zipfile.ZipFile(io.BytesIO(book.data))
        self.names = [i.filename for i in self.zin.infolist()]
        self.out = {}          # part name -> new bytes (None = drop)
        self.new_parts = []    # part names added
        self.overrides = []    # (part name, content type)
        self.need_vml_default = False

    def read(self, name):
        if name in self.out:
            return self.out[name]
        return self.zin.read(name)

    def exists(self, name):
        return (name in self.out and self.out[name] is not None) or \
            (name in self.names and self.out.get(name, b'') is not None)

    def run(self) -> bytes:
        self._drop_external_links()
        self._disarm()
        for title, path in self.book.sheet_paths.items():
            if title not in self.marks and path in self.names and self._has_our_comments(path):
                self.marks[title] = {}      # only stale marks of an earlier check to clear
        if self.marks:
            styles = self._styles_part()
            xml = self.read(styles)
            self.style_map = {}
            self.styles_xml = xml
            self._prepare_styles()
            for n, (title, cells) in enumerate(self.marks.items(), start=1):
                self._patch_sheet(n, self.book.sheet_paths[title], cells)
            self.out[styles] = self._finish_styles()
        if self.listed:
            self._results_sheet()
        self._content_types()
        return self._write()

    def _comment_parts(self, path, xml):
        """(rels, comments part, VML part, VML rel id) of a sheet."""
        rels_name = rels_path(path)
        rels = self.read(rels_name) if self.exists(rels_name) else None
        comments_path = vml_path = vml_rid = None
        # Only the VML named by <legacyDrawing> holds comment shapes (legacyDrawingHF also
        # points at a VML part: header/footer pictures, which must be left alone).
        legacy = re.search(rb'<(?:\w+:)?legacyDrawing\b[^>]*?\bid="([^"]+)"', xml)
        legacy_rid = legacy.group(1) if legacy else None
        if rels:
            for m in RELATIONSHIP.finditer(rels):
                rel = m.group(0)
                target = relationship_target(path, rel)
                if target is None or b'TargetMode="External"' in rel:
                    continue
                if rel.find(b'/comments"') >= 0:
                    comments_path = target
                elif rel.find(b'/vmlDrawing"') >= 0:
                    rid = re.search(rb'Id="([^"]*)"', rel).group(1)
                    if rid == legacy_rid:
                        vml_path, vml_rid = target, rid
        if comments_path and not self.exists(comments_path):
            comments_path = None
        return rels, comments_path, vml_path, vml_rid

    def _has_our_comments(self, path):
        _, comments_path, _, _ = self._comment_parts(path, b'')
        return bool(comments_path) and f'>{AUTHOR}<'.encode() in self.read(comments_path)

    # -- external links -------------------------------------------------------------
    def _drop_external_links(self):
        wb_path = self.book.workbook_path
        rels_name = rels_path(wb_path)
        if rels_name not in self.names:
            return
        rels = self.read(rels_name)
        dropped = []

        def drop(m):
            rel = m.group(0)
            if b'/externalLink"' in rel:
                target = relationship_target(wb_path, rel)
                if target:
                    dropped.append(target)
                return b''
            return rel
        new_rels = RELATIONSHIP.sub(drop, rels)
        if not dropped:
            return
        self.out[rels_name] = new_rels
        for part in dropped:
            self.out[part] = None
            self.out[rels_path(part)] = None
        wb = self.read(wb_path)
        wb = re.sub(rb'<(\w+:)?externalReferences\b.*?</(\w+:)?externalReferences>', b'', wb,
                    flags=re.S)
        wb = re.sub(rb'<(\w+:)?definedName\b[^>]*>[^<]*\[\d+\][^<]*</(\w+:)?definedName>', b'', wb)
        self.out[wb_path] = wb
        # Formulas pointing into an external workbook keep their cached value only.
        for path in self.book.sheet_paths.values():
            if path in self.names:
                xml = self.read(path)
                if b'[' in xml:
                    new = re.sub(rb'<(\w+:)?f\b[^>]*>[^<]*\[\d+\][^<]*</(\w+:)?f>', b'', xml)
                    if new != xml:
                        self.out[path] = new

    # -- formulas: data only (issue 10, item 16) ---------------------------------------
    def _disarm(self):
        """No live formula and no formula-like text in the copy; the calculation chain,
        which names the formula cells, goes with the formulas."""
        sheets = set(self.book.sheet_paths.values()) | {
            n for n in self.names if re.match(r'xl/worksheets/[^/]+\.xml$', n)}
        for name in self.names:
            if name in sheets or name.endswith('sharedStrings.xml'):
                xml = self.read(name)
                if xml is None:
                    continue
                new = disarm_sheet(xml) if name in sheets else quote_formula_text(xml)
                if new != xml:
                    self.out[name] = new
            elif name.endswith('calcChain.xml'):
                self.out[name] = None
        rels_name = rels_path(self.book.workbook_path)
        if rels_name in self.names and any(n.endswith('calcChain.xml') for n in self.names):
            rels = self.read(rels_name)
            self.out[rels_name] = RELATIONSHIP.sub(
                lambda m: b'' if b'/calcChain"' in m.group(0) else m.group(0), rels)

    # -- the results sheet: every error and warning, also those the page does not show -------
    def _results_sheet(self):
        path = self.book.sheet_paths.get(RESULTS_SHEET)
        self.out[path or self._register_sheet(RESULTS_SHEET)] = _results_xml(self.listed)

    def _register_sheet(self, title) -> str:
        """A new worksheet part appended to the workbook (its content is set by the caller)."""
        path = self._unique_name('xl/worksheets/cgsResults.xml')
        self.new_parts.append(path)
        self.overrides.append((path, CT_SHEET))
        wb_path = self.book.workbook_path
        rels_name = rels_path(wb_path)
        rid = b'rIdCgsResults'
        rel = (b'<Relationship Id="' + rid + b'" Type="' + REL_SHEET.encode() + b'" Target="'
               + relative(wb_path, path).encode() + b'"/>')
        rels = self.read(rels_name) if self.exists(rels_name) else (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{NS_PKG_REL}"></Relationships>').encode()
        if rels_name not in self.names and rels_name not in self.new_parts:
            self.new_parts.append(rels_name)
        self.out[rels_name] = rels.replace(b'</Relationships>', rel + b'</Relationships>')
        wb = self.read(wb_path)
        ids = [int(i) for i in re.findall(rb'\bsheetId="(\d+)"', wb)]
        m = re.search(rb'xmlns:(\w+)="' + re.escape(NS_R.encode()) + rb'"', wb)
        r_attr = (m.group(1) + b':id="' + rid + b'"') if m else (
            b'xmlns:cgsr="' + NS_R.encode() + b'" cgsr:id="' + rid + b'"')
        end = re.search(rb'</((?:\w+:)?)sheets>', wb)
        sheet = (b'<' + end.group(1) + b'sheet name="' + escape(title).encode() + b'" sheetId="'
                 + str(max(ids, default=0) + 1).encode() + b'" ' + r_attr + b'/>')
        self.out[wb_path] = wb[:end.start()] + sheet + wb[end.start():]
        return path

    # -- styles ----------------------------------------------------------------------
    def _styles_part(self) -> str:
        wb_path = self.book.workbook_path
        rels_name = rels_path(wb_path)
        rels = self.read(rels_name) if self.exists(rels_name) else b''
        for m in RELATIONSHIP.finditer(rels):
            rel = m.group(0)
            if b'/styles"' in rel:
                path = relationship_target(wb_path, rel)
                if self.exists(path):
                    return path
        path = resolve(wb_path, 'styles.xml')
        self.out[path] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{NS_MAIN}">'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
            '</styleSheet>').encode()
        self.new_parts.append(path)
        self.overrides.append((path, 'application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml'))
        rel = f'<Relationship Id="rIdCgsStyles" Type="{REL_STYLES}" Target="{basename(path)}"/>'.encode()
        if rels:
            self.out[rels_name] = rels.replace(b'</Relationships>', rel + b'</Relationships>')
        else:
            self.out[rels_name] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                                   f'<Relationships xmlns="{NS_PKG_REL}">').encode() + rel + b'</Relationships>'
            self.new_parts.append(rels_name)
        return path

    def _prepare_styles(self):
        xml = self.styles_xml
        m = re.search(rb'<((?:\w+:)?)styleSheet\b', xml)
        self.sp = m.group(1) if m else b''
        sp = self.sp
        # fills
        fm = re.search(rb'<' + sp + rb'fills\b[^>]*?(/>|>(.*?)</' + sp + rb'fills>)', xml, re.S)
        if fm:
            body = fm.group(2) or b''
            count = len(re.findall(rb'<' + sp + rb'fill\b', body))
        else:
            body, count = b'', 0
        self.fill_ids = {'missing': count, 'invalid': count + 1}
        self.our_fills = {count, count + 1} | {
            i for i, f in enumerate(re.findall(rb'<' + sp + rb'fill\b.*?</' + sp + rb'fill>', body,
                                               re.S))
            if b'solid' in f and (YELLOW.encode() in f or RED.encode() in f)}
        new_fills = b''.join(
            b'<' + sp + b'fill><' + sp + b'patternFill patternType="solid"><' + sp
            + b'fgColor rgb="' + c.encode() + b'"/><' + sp + b'bgColor indexed="64"/></'
            + sp + b'patternFill></' + sp + b'fill>' for c in (YELLOW, RED))
        fills = (b'<' + sp + b'fills count="' + str(count + 2).encode() + b'">' + body
                 + new_fills + b'</' + sp + b'fills>')
        if fm:
            xml = xml[:fm.start()] + fills + xml[fm.end():]
        else:
            xml = self._insert_after_any(xml, (b'fonts', b'numFmts'), fills)
        # cellXfs
        cm = re.search(rb'<' + sp + rb'cellXfs\b[^>]*?(/>|>(.*?)</' + sp + rb'cellXfs>)', xml, re.S)
        if cm:
            body = cm.group(2) or b''
            self.xfs = [x.group(0) for x in re.finditer(
                rb'<' + sp + rb'xf\b[^>]*?(?:/>|>.*?</' + sp + rb'xf>)', body, re.S)]
        else:
            body = b''
            self.xfs = []
        if not self.xfs:
            self.xfs = [b'<' + sp + b'xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>']
        self.cellxfs_span = (cm.start(), cm.end()) if cm else None
        self.styles_xml = xml
        self.new_xfs = []

    def _insert_after_any(self, xml, tags, new):
        sp = self.sp
        for tag in tags:
            m = re.search(rb'</' + sp + tag + rb'>', xml)
            if m:
                return xml[:m.end()] + new + xml[m.end():]
        m = re.search(rb'<' + sp + rb'styleSheet\b[^>]*>', xml)
        return xml[:m.end()] + new + xml[m.end():]

    def style_for(self, orig: int, kind: str) -> int:
        key = (orig, kind)
        got = self.style_map.get(key)
        if got is not None:
            return got
        base = self.xfs[orig] if 0 <= orig < len(self.xfs) else self.xfs[0]
        if kind == 'clear':
            m = re.search(rb'\bfillId="(\d+)"', base)
            if not m or int(m.group(1)) not in self.our_fills:
                self.style_map[key] = orig
                return orig
            fill = b'0'
        else:
            fill = str(self.fill_ids[kind]).encode()
        if re.search(rb'\bfillId="\d+"', base):
            xf = re.sub(rb'\bfillId="\d+"', b'fillId="' + fill + b'"', base, count=1)
        else:
            xf = re.sub(rb'^<((?:\w+:)?)xf\b', lambda m: m.group(0) + b' fillId="' + fill + b'"', base)
        if re.search(rb'\bapplyFill="[^"]*"', xf):
            xf = re.sub(rb'\bapplyFill="[^"]*"', b'applyFill="1"', xf, count=1)
        else:
            xf = re.sub(rb'^<((?:\w+:)?)xf\b', lambda m: m.group(0) + b' applyFill="1"', xf)
        index = len(self.xfs) + len(self.new_xfs)
        self.new_xfs.append(xf)
        self.style_map[key] = index
        return index

    def _finish_styles(self) -> bytes:
        xml, sp = self.styles_xml, self.sp
        allx = self.xfs + self.new_xfs
        block = (b'<' + sp + b'cellXfs count="' + str(len(allx)).encode() + b'">'
                 + b''.join(allx) + b'</' + sp + b'cellXfs>')
        if self.cellxfs_span:
            a, b = self.cellxfs_span
            return xml[:a] + block + xml[b:]
        return self._insert_after_any(xml, (b'cellStyleXfs', b'borders', b'fills'), block)

    # -- one sheet ---------------------------------------------------------------------
    def _patch_sheet(self, n, path, cells):
        xml = self.read(path)
        root = _ROOT.search(xml)
        prefix = root.group(1) if root else b''
        by_row = {}
        for (r, c), (kind, _) in cells.items():
            by_row.setdefault(r, {})[c] = kind
        # Marks of an earlier check (our own comments) on cells that are now fine: the
        # teacher fixed the annotated copy and uploaded it again.
        _, comments_path, _, _ = self._comment_parts(path, xml)
        existing, authors = _read_comments(self.read(comments_path)) if comments_path else ({}, [])
        ours = {i for i, a in enumerate(authors) if a == AUTHOR}
        for ref, (aid, _) in existing.items():
            m = re.match(r'([A-Z]+)(\d+)$', ref)
            if aid in ours and m:
                r, c = int(m.group(2)), column_index_from_string(m.group(1))
                by_row.setdefault(r, {}).setdefault(c, 'clear')
        xml = self._patch_cells(xml, prefix, by_row)
        xml = self._comments(n, path, xml, prefix, cells)
        self.out[path] = xml

    def _patch_cells(self, xml, prefix, by_row):
        m = _SHEETDATA_EMPTY.search(xml)
        if m:
            xml = xml[:m.start()] + b'<' + prefix + b'sheetData></' + prefix + b'sheetData>' + xml[m.end():]
        end_m = _SHEETDATA_END.search(xml)
        if end_m is None:
            return xml
        data_end = end_m.start()
        starts = []
        row_no = 0
        for rm in ROW_OPEN.finditer(xml, 0, data_end):
            r = re.search(rb'\br="(\d+)"', rm.group(1))
            row_no = int(r.group(1)) if r else row_no + 1
            starts.append((row_no, rm.start()))
        pending = sorted(by_row)
        pieces = []
        pos = 0
        pi = 0
        for i, (row_no, start) in enumerate(starts):
            while pi < len(pending) and pending[pi] < row_no:
                pieces.append(xml[pos:start])
                pos = start
                pieces.append(self._new_row(prefix, pending[pi], by_row[pending[pi]]))
                pi += 1
            if pi < len(pending) and pending[pi] == row_no:
                end = starts[i + 1][1] if i + 1 < len(starts) else data_end
                pieces.append(xml[pos:start])
                pieces.append(self._patch_row(prefix, xml[start:end], row_no, by_row[row_no]))
                pos = end
                pi += 1
        pieces.append(xml[pos:data_end])
        while pi < len(pending):
            pieces.append(self._new_row(prefix, pending[pi], by_row[pending[pi]]))
            pi += 1
        pieces.append(xml[data_end:])
        return b''.join(pieces)

    def _new_cell(self, prefix, row_no, col, kind):
        return (b'<' + prefix + b'c r="' + get_column_letter(col).encode() + str(row_no).encode()
                + b'" s="' + str(self.style_for(0, kind)).encode() + b'"/>')

    def _new_row(self, prefix, row_no, cols):
        cols = {c: k for c, k in cols.items() if k != 'clear'}
        if not cols:
            return b''
        return (b'<' + prefix + b'row r="' + str(row_no).encode() + b'">'
                + b''.join(self._new_cell(prefix, row_no, c, cols[c]) for c in sorted(cols))
                + b'</' + prefix + b'row>')

    def _patch_row(self, prefix, segment, row_no, cols):
        om = ROW_OPEN.match(segment)
        open_tag = segment[:om.end()]
        self_closing = open_tag.endswith(b'/>')
        open_tag = _SPANS.sub(b'', open_tag)
        if self_closing:
            open_tag = open_tag[:-2].rstrip() + b'>'
            body, tail = b'', b'</' + prefix + b'row>'
            rest = segment[om.end():]
        else:
            close = segment.rfind(b'</')
            body, tail = segment[om.end():close], segment[close:]
            rest = b''
        todo = dict(cols)
        out = []
        pos = 0
        col = 0
        for cm in CELL.finditer(body):
            attrs = cm.group(1)
            ref = _R_ATTR.search(attrs)
            if ref and ref.group(1):
                col = column_index_from_string(ref.group(1).decode().upper())
            else:
                col += 1
            for c in sorted(k for k in todo if k < col):
                out.append(body[pos:cm.start()])
                pos = cm.start()
                kind = todo.pop(c)
                if kind != 'clear':
                    out.append(self._new_cell(prefix, row_no, c, kind))
            if col in todo:
                kind = todo.pop(col)
                s = _S_ATTR.search(attrs)
                orig = int(s.group(1)) if s else 0
                new_s = b's="' + str(self.style_for(orig, kind)).encode() + b'"'
                if s:
                    new_attrs = attrs[:s.start()] + new_s + attrs[s.end():]
                else:
                    new_attrs = attrs + b' ' + new_s
                a0 = cm.start(1)
                out.append(body[pos:a0])
                out.append(new_attrs)
                pos = cm.end(1)
        out.append(body[pos:])
        for c in sorted(todo):
            if todo[c] != 'clear':
                out.append(self._new_cell(prefix, row_no, c, todo[c]))
        return open_tag + b''.join(out) + tail + rest

    # -- comments --------------------------------------------------------------------
    def _comments(self, n, path, xml, prefix, cells):
        rels_name = rels_path(path)
        rels, comments_path, vml_path, vml_rid = self._comment_parts(path, xml)
        existing = {}
        authors = []
        if comments_path and self.exists(comments_path):
            existing, authors = _read_comments(self.read(comments_path))
        if AUTHOR not in authors:
            authors.append(AUTHOR)
        author_id = authors.index(AUTHOR)
        ours = {i for i, a in enumerate(authors) if a == AUTHOR}
        existing = {ref: v for ref, v in existing.items() if v[0] not in ours}
        merged = dict(existing)
        for (r, c), (_, texts) in cells.items():
            ref = f'{get_column_letter(c)}{r}'
            text = '\n'.join(texts)
            old = existing.get(ref)
            if old:
                text = text + '\n—\n' + old[1]
            merged[ref] = (author_id, text)
        add_rels = []
        if comments_path is None:
            comments_path = self._unique_name(f'xl/comments/commentCgs{n}.xml')
            self.new_parts.append(comments_path)
            self.overrides.append((comments_path, CT_COMMENTS))
            add_rels.append((b'rIdCgsComments', REL_COMMENTS, comments_path))
        if vml_path is None:
            vml_path = self._unique_name(f'xl/drawings/vmlDrawingCgs{n}.vml')
            self.new_parts.append(vml_path)
            self.need_vml_default = True
            vml_rid = b'rIdCgsVml'
            add_rels.append((vml_rid, REL_VML, vml_path))
            xml = _add_legacy_drawing(xml, prefix, vml_rid)
        self.out[comments_path] = _comments_xml(authors, merged)
        self.out[vml_path] = _vml_xml(n, merged)
        if add_rels:
            entries = b''.join(
                b'<Relationship Id="' + rid + b'" Type="' + typ.encode() + b'" Target="'
                + relative(path, target).encode() + b'"/>' for rid, typ, target in add_rels)
            if rels:
                rels = rels.replace(b'</Relationships>', entries + b'</Relationships>')
            else:
                rels = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                        b'<Relationships xmlns="' + NS_PKG_REL.encode() + b'">' + entries
                        + b'</Relationships>')
                if rels_name not in self.names:
                    self.new_parts.append(rels_name)
            self.out[rels_name] = rels
        return xml

    def _unique_name(self, name):
        base, ext = name.rsplit('.', 1)
        i = 0
        while self.exists(name) or name in self.new_parts:
            i += 1
            name = f'{base}_{i}.{ext}'
        return name

    # -- package ----------------------------------------------------------------------
    def _content_types(self):
        name = '[Content_Types].xml'
        xml = self.read(name)
        dropped = [p for p, v in self.out.items() if v is None]
        for part in dropped:
            xml = re.sub(rb'<Override\b[^>]*PartName="/' + re.escape(part.encode()) + rb'"[^>]*/>',
                         b'', xml)
        add = b''
        if self.need_vml_default and not re.search(rb'<Default\b[^>]*Extension="vml"', xml, re.I):
            add += b'<Default Extension="vml" ContentType="' + CT_VML.encode() + b'"/>'
        for part, ctype in self.overrides:
            if b'PartName="/' + part.encode() + b'"' not in xml:
                add += (b'<Override PartName="/' + part.encode() + b'" ContentType="'
                        + ctype.encode() + b'"/>')
        if add or dropped:
            self.out[name] = xml.replace(b'</Types>', add + b'</Types>')

    def _write(self) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as zout:
            for info in self.zin.infolist():
                name = info.filename
                if name in self.out:
                    content = self.out[name]
                    if content is None:
                        continue
                    zi = zipfile.ZipInfo(name, date_time=info.date_time)
                    zi.compress_type = zipfile.ZIP_DEFLATED
                    zout.writestr(zi, content, compresslevel=1 if len(content) > 1 << 20 else 6)
                else:
                    _copy_raw(self.zin, info, zout)
            for name in self.new_parts:
                if name in self.names:
                    continue
                zout.writestr(name, self.out[name], compresslevel=6)
        return buf.getvalue()


def _copy_raw(zin, info, zout):
    """Copy one member, decompressing and recompressing only when needed."""
    data = zin.read(info.filename)
    zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    zi.compress_type = info.compress_type if info.compress_type in (
        zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) else zipfile.ZIP_DEFLATED
    zi.external_attr = info.external_attr
    zout.writestr(zi, data, compresslevel=1 if len(data) > 1 << 20 else 6)


def _add_legacy_drawing(xml, prefix, rid):
    tag = b'<' + prefix + b'legacyDrawing r:id="' + rid + b'"/>'
    root = _ROOT.search(xml)
    if root and b'xmlns:r=' not in root.group(0):
        head = root.group(0)
        new_head = head[:-1].rstrip(b'/') + b' xmlns:r="' + NS_R.encode() + b'">'
        xml = xml[:root.start()] + new_head + xml[root.end():]
    after = (b'legacyDrawingHF', b'drawingHF', b'picture', b'oleObjects', b'controls',
             b'webPublishItems', b'tableParts', b'extLst')
    best = None
    for name in after:
        m = re.search(rb'<' + prefix + name + rb'\b', xml)
        if m and (best is None or m.start() < best):
            best = m.start()
    if best is None:
        best = xml.rfind(b'</' + prefix + b'worksheet>')
    return xml[:best] + tag + xml[best:]


def _read_comments(xml: bytes):
    """Existing comments as {ref: (author id, plain text)} and the author list."""
    import xml.etree.ElementTree as ET
    if b'<!DOCTYPE' in xml or b'<!ENTITY' in xml:
        return {}, []
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return {}, []
    authors, comments = [], {}
    for el in root.iter():
        tag = el.tag.rsplit('}', 1)[-1]
        if tag == 'author':
            authors.append(el.text or '')
        elif tag == 'comment':
            text = ''.join(t.text or '' for t in el.iter() if t.tag.rsplit('}', 1)[-1] == 't')
            try:
                aid = int(el.get('authorId') or 0)
            except ValueError:
                aid = 0
            comments[el.get('ref') or ''] = (aid, text)
    return comments, authors


def _sort_key(ref):
    m = re.match(r'([A-Z]+)(\d+)', ref)
    return (int(m.group(2)), column_index_from_string(m.group(1))) if m else (0, 0)


def _comments_xml(authors, comments) -> bytes:
    parts = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{NS_MAIN}"><authors>']
    parts += [f'<author>{escape(a, quote=False)}</author>' for a in authors]
    parts.append('</authors><commentList>')
    for ref in sorted(comments, key=_sort_key):
        aid, text = comments[ref]
        parts.append(f'<comment ref="{ref}" authorId="{aid}"><text><r><rPr><sz val="9"/></rPr>'
                     f'<t xml:space="preserve">{escape(_xml_safe(text), quote=False)}</t></r></text></comment>')
    parts.append('</commentList></comments>')
    return ''.join(parts).encode('utf-8')


def _results_xml(problems) -> bytes:
    """A plain sheet listing problems (inline strings, formula-like text quoted)."""
    head = ('類別', '工作表', '列', '欄', '欄位', '填寫內容', '問題', '修正方式')
    rows = [head] + [(SEVERITY_LABELS.get(getattr(p, 'severity', ''), ''), p.sheet or '',
                      '' if p.row is None else p.row, p.column or '', p.header or '',
                      p.value or '', p.message or '', p.fix or '')
                     for p in problems]
    out = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row, start=1):
            ref = f'{get_column_letter(c)}{r}'
            if isinstance(value, int):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif value != '':
                text = escape(_xml_safe(str(neutralise(str(value)))[:1000]), quote=False)
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    widths = (8, 24, 6, 6, 16, 20, 50, 50)
    cols = ''.join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                   for i, w in enumerate(widths, start=1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS_MAIN}">'
            f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            f'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
            f'<cols>{cols}</cols><sheetData>{"".join(out)}</sheetData></worksheet>').encode()


def _xml_safe(text: str) -> str:
    return re.sub(r'[\x00-\x08\x0b\x0c\x0e-\x1f]', '', text)


def _vml_xml(n, comments) -> bytes:
    count = len(comments)
    first_block = 100 + n * 20
    blocks = max(1, (count + 1023) // 1024 + 1)
    data = ','.join(str(first_block + i) for i in range(blocks))
    parts = ['<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
             'xmlns:x="urn:schemas-microsoft-com:office:excel">'
             f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{data}"/></o:shapelayout>'
             '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
             'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
             '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>']
    shape_id = first_block * 1024 + 1
    for ref in sorted(comments, key=_sort_key):
        row, col = _sort_key(ref)
        r0, c0 = row - 1, col - 1
        parts.append(
            f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202" '
            'style="position:absolute;margin-left:80pt;margin-top:2pt;width:200pt;height:80pt;'
            'z-index:1;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
            '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
            '<div style="text-align:left"></div></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f'<x:Anchor>{c0 + 1}, 15, {max(r0 - 1, 0)}, 2, {c0 + 4}, 15, {r0 + 4}, 16</x:Anchor>'
            f'<x:AutoFill>False</x:AutoFill><x:Row>{r0}</x:Row><x:Column>{c0}</x:Column>'
            '</x:ClientData></v:shape>')
        shape_id += 1
    parts.append('</xml>')
    return ''.join(parts).encode('utf-8')
