"""Templates generated from the schema: blank, filled example, and the column guide."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from .safety import set_cell
from .schema import VERSION_STAMP_NAME, VERSIONS, TemplateSpec

KINDS = ('blank', 'example', 'guide')
DV_ROWS = 2000
LISTS_SHEET = '代碼表'

_THIN = Side(style='thin', color='999999')
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill('solid', fgColor='DDEBF7')
_GROUP_FILL = PatternFill('solid', fgColor='BDD7EE')
_GUIDE_FILL = PatternFill('solid', fgColor='F2F2F2')
_META_FILL = PatternFill('solid', fgColor='FFF2CC')
_CENTER = Alignment(horizontal='center', vertical='center', wrap_text=True)
_WRAP = Alignment(vertical='top', wrap_text=True)


def build_template(version_id: str, kind: str, *, unit_code: str = '', unit_name: str = '',
                   roc_year: int | None = None, month: int | None = None) -> bytes:
    """An .xlsx (bytes) for ``version_id``: ``blank``, ``example`` or ``guide``."""
    if version_id not in VERSIONS:
        raise KeyError(f'unknown template version {version_id!r}')
    if kind not in KINDS:
        raise ValueError(f'kind must be one of {KINDS}')
    version = VERSIONS[version_id]
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = 'cgs-portal'
    wb.properties.title = f'輔導工作成果填報 {version.label}'
    if kind == 'guide':
        _guide_sheet(wb.create_sheet('填報說明'), version)
    else:
        lists = _lists_sheet(wb, version)
        for spec in version.sheets:
            ws = wb.create_sheet(spec.title)
            _layout(ws, spec, unit_code, unit_name, roc_year, month)
            _validations(ws, spec, lists)
            if kind == 'example':
                _example_rows(ws, spec, version, unit_code)
        _guide_sheet(wb.create_sheet(version.guide_title), version)
        wb.move_sheet(LISTS_SHEET, offset=len(wb.sheetnames))
        wb.active = 0
    wb.defined_names[VERSION_STAMP_NAME] = DefinedName(VERSION_STAMP_NAME,
                                                       attr_text=f'"{version.id}"')
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _title(spec, unit_name, roc_year, month) -> str:
    text = spec.title_text.format(roc_year=roc_year or '', month=month or '',
                                  unit_name=unit_name or '')
    if not roc_year:
        text = text.lstrip('- ')
    return text


def _layout(ws, spec, unit_code, unit_name, roc_year, month):
    n = len(spec.columns)
    last = get_column_letter(n)
    cell = set_cell(ws['A1'], _title(spec, unit_name, roc_year, month))
    cell.font = Font(bold=True, size=14)
    cell.alignment = Alignment(vertical='center')
    ws.merge_cells(f'A1:{last}1')
    ws.row_dimensions[1].height = 24
    meta_values = {'unit_code': unit_code, 'unit_name': unit_name,
                   'year_month': f'{roc_year}年{month}月' if roc_year and month else ''}
    for name, (label_ref, value_ref, label) in spec.meta_cells.items():
        lab = ws[label_ref]
        lab.value = label
        lab.font = Font(bold=True)
        lab.alignment = Alignment(horizontal='right')
        val = set_cell(ws[value_ref], meta_values[name])
        val.fill = _META_FILL
        val.border = _BORDER
        val.number_format = '@'
        ws.column_dimensions[label_ref.rstrip('0123456789')].width = 10
        ws.column_dimensions[value_ref.rstrip('0123456789')].width = 16 if name == 'unit_name' else 12
    # Row 2: group headers, merged over runs of equal groups.
    start = 0
    for j in range(1, n + 1):
        if j == n or spec.columns[j].group != spec.columns[start].group:
            c = ws.cell(spec.group_row, start + 1, spec.columns[start].group)
            c.font = Font(bold=True)
            c.alignment = _CENTER
            for k in range(start, j):
                ws.cell(spec.group_row, k + 1).fill = _GROUP_FILL
                ws.cell(spec.group_row, k + 1).border = _BORDER
            if j - start > 1:
                ws.merge_cells(start_row=spec.group_row, start_column=start + 1,
                               end_row=spec.group_row, end_column=j)
            start = j
    for j, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(j)
        h = ws.cell(spec.header_row, j, col.header)
        h.font = Font(bold=True)
        h.fill = _HEAD_FILL
        h.alignment = _CENTER
        h.border = _BORDER
        h.comment = Comment(f'{col.meaning}\n允許值：{col.allowed_text()[:200]}', '填報說明',
                            width=300, height=160)
        for i, r in enumerate(spec.guidance_rows):
            text = col.guidance if i == 0 else f'例：{_example_text(col)}'
            g = ws.cell(r, j, text)
            g.fill = _GUIDE_FILL
            g.font = Font(color='595959', italic=i > 0, size=9)
            g.alignment = _CENTER
            g.border = _BORDER
        ws.column_dimensions[letter].width = col.width
        if col.kind in ('text', 'codes', 'other', 'school'):
            ws.column_dimensions[letter].number_format = '@'
    ws.row_dimensions[spec.header_row].height = 36
    ws.freeze_panes = f'A{spec.first_data_row}'


def _example_text(col) -> str:
    v = col.example
    if col.codes and isinstance(v, int):
        return f'{v}'
    return str(v)


def _lists_sheet(wb, version: TemplateSpec):
    """A hidden sheet holding every code list; returns column key → range formula."""
    ws = wb.create_sheet(LISTS_SHEET)
    ws.sheet_state = 'hidden'
    ranges = {}
    j = 0
    for spec in version.sheets:
        for col in spec.columns:
            if not col.codes:
                continue
            key = (spec.key, col.key)
            j += 1
            letter = get_column_letter(j)
            ws.cell(1, j, f'{spec.key}.{col.key}')
            for i, (code, label) in enumerate(col.codes, start=2):
                ws.cell(i, j, f'{code} {label}')
            ranges[key] = f"{LISTS_SHEET}!${letter}$2:${letter}${len(col.codes) + 1}"
    return ranges


def _validations(ws, spec, lists):
    first, last = spec.first_data_row, spec.first_data_row + DV_ROWS - 1
    for j, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(j)
        sqref = f'{letter}{first}:{letter}{last}'
        if col.codes:
            dv = DataValidation(type='list', formula1=lists[(spec.key, col.key)],
                                allow_blank=True)
            dv.promptTitle = col.header[:32]
            dv.prompt = ('可複選，以逗號分隔（例：3,10）' if col.kind == 'codes' else '請由清單選擇')[:255]
            dv.showInputMessage = True
            if col.kind == 'codes':
                dv.showErrorMessage = False
            else:
                dv.errorStyle = 'warning'
                dv.errorTitle = '代碼不在清單中'
                dv.error = f'請由清單選擇{col.header}，或填入代碼數字。'
                dv.showErrorMessage = True
        elif col.kind == 'int':
            dv = DataValidation(type='whole', operator='between', formula1=str(col.min),
                                formula2=str(col.max if col.max is not None else 999999),
                                allow_blank=True)
            dv.errorStyle = 'warning'
            dv.errorTitle = '數值不正確'
            dv.error = f'{col.header}：{col.allowed_text()}'
            dv.showErrorMessage = True
        else:
            continue
        dv.add(sqref)
        ws.add_data_validation(dv)


def _example_rows(ws, spec, version, unit_code):
    family_b = version.family == 'B'
    school = '083501' if family_b else None
    if spec.key == 'cases':
        g = (7, 8, 9) if not family_b else (4, 8, 11)
        rows = [
            dict(teacher_code='T01', staff_type=1, student_code='S001', grade=g[0], sex=2,
                 student_status=0, case_source='1,3', case_status=1, referral=2,
                 service_mode=1, main_category=5, main_other=0, sub_categories='1,3',
                 sub_other=0, sessions=3, closure=1),
            dict(teacher_code='T01', staff_type=1, student_code='S002', grade=g[1], sex=1,
                 student_status='9', case_source=0, case_status=2, referral=3,
                 service_mode=1, main_category=12, main_other=0, sub_categories=0,
                 sub_other=0, sessions=2, closure=2),
            dict(teacher_code='T02', staff_type=2, student_code='S003', grade=g[2], sex=2,
                 student_status=0, case_source=2, case_status=1, referral=1,
                 service_mode=2, main_category=19, main_other='手足衝突', sub_categories=5,
                 sub_other=0, sessions=1, closure=1),
            dict(teacher_code='T02', staff_type=2, student_code='S004', grade=g[0], sex=1,
                 student_status='8,11', case_source=0, case_status=2, referral=2,
                 service_mode=1, main_category=1, main_other=0, sub_categories='5,19',
                 sub_other='課業壓力', sessions=4, closure=3),
        ]
    else:
        t = (7, 8) if not family_b else (5, 10)
        rows = [
            dict(teacher_code='T01', staff_type=1, service_item=1, item_other=0, service_mode=1,
                 target=t[0], male=6, female=5, events=2),
            dict(teacher_code='T01', staff_type=1, service_item=3, item_other=0, service_mode=1,
                 target=14, male=1, female=3, events=4),
            dict(teacher_code='T02', staff_type=2, service_item=4, item_other=0, service_mode=2,
                 target=13, male=0, female=2, events=2),
            dict(teacher_code='T02', staff_type=2, service_item=17, item_other='親職講座',
                 service_mode=1, target=t[1], male=10, female=12, events=1),
        ]
    for i, values in enumerate(rows):
        r = spec.first_data_row + i
        values = dict(values, school_code=school)
        for j, col in enumerate(spec.columns, start=1):
            value = values.get(col.key, col.example)
            c = ws.cell(r, j)
            if col.kind in ('text', 'codes', 'other', 'school'):
                set_cell(c, str(value))
            else:
                c.value = value


def _guide_sheet(ws, version: TemplateSpec):
    ws.column_dimensions['A'].width = 8
    ws.column_dimensions['B'].width = 24
    ws.column_dimensions['C'].width = 44
    ws.column_dimensions['D'].width = 8
    ws.column_dimensions['E'].width = 60
    ws.column_dimensions['F'].width = 14
    ws['A1'] = f'輔導工作成果填報說明（{version.label}）'
    ws['A1'].font = Font(bold=True, size=14)
    notes = (
        '1. 請使用本系統下載的範本填寫，勿新增、刪除、移動或改名工作表與欄位。',
        '2. 每一格都必須填寫，「無」請填 0；黃底表示未填寫，紅底表示內容有誤。',
        '3. 代碼欄可由下拉選單選擇，也可直接填代碼數字；可複選的欄位以逗號分隔（例：3,10）。',
        '4. 請勿填寫學生姓名、身分證字號、電話、電子郵件等可識別個人身分之資料。',
        '5. 新學年度請使用新版範本，舊版範本將無法上傳。',
    )
    for i, text in enumerate(notes, start=2):
        ws.cell(i, 1, text)
    r = len(notes) + 3
    for spec in version.sheets:
        ws.cell(r, 1, f'工作表「{spec.title}」（資料自第 {spec.first_data_row} 列開始）').font = \
            Font(bold=True, size=12)
        r += 1
        for j, head in enumerate(('欄位', '標題', '說明', '必填', '允許值（代碼）', '範例'), start=1):
            c = ws.cell(r, j, head)
            c.font = Font(bold=True)
            c.fill = _HEAD_FILL
            c.border = _BORDER
        r += 1
        for j, col in enumerate(spec.columns, start=1):
            required = '條件' if col.kind == 'other' else '是'
            for k, value in enumerate((get_column_letter(j), col.header, col.meaning, required,
                                       col.allowed_text(), _example_text(col)), start=1):
                c = set_cell(ws.cell(r, k), value)
                c.alignment = _WRAP
                c.border = _BORDER
            r += 1
        r += 1
