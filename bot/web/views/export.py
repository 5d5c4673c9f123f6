"""CSV and Excel answers of the staff tables, safe against formula injection and control characters.

Every text cell passes :func:`zhtext.clean.excel_safe` first: control
characters other than tab and line breaks are dropped (openpyxl refuses
them, and a database written before the text-cleaning rule may hold
them), so one stored message cannot break an export. Then a text cell
starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) would
run as a formula when the file is opened in Excel or WPS; it is written with
a leading apostrophe instead. Numbers stay numbers. The CSV has a UTF-8 BOM
so Excel opens the Chinese correctly.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from urllib.parse import quote

from fastapi import HTTPException
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Font

from bot.web import messages
from bot.web.views.tables import Cell, Table
from zhtext.clean import excel_safe

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutral(cell: Cell) -> Cell:
    """The cell as written: control characters dropped; a text a spreadsheet would run as a formula gets ``'``."""
    if not isinstance(cell, str):
        return cell
    cell = excel_safe(cell) or ""
    if cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def _csv(tables: Sequence[Table]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for n, table in enumerate(tables):
        if len(tables) > 1:
            if n:
                writer.writerow([])
            writer.writerow([table.title])
        writer.writerow(table.headers)
        writer.writerows([neutral(c) for c in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(tables: Sequence[Table]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table.title[:31])
        sheet.append(list(table.headers))
        for row in table.rows:
            sheet.append([neutral(c) for c in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def check_format(fmt: str) -> str:
    """``csv`` or ``xlsx``; anything else is a 400 with a Chinese message."""
    if fmt not in FORMATS:
        raise HTTPException(status_code=400, detail=messages.EXPORT_FORMAT_INVALID)
    return fmt


def export_response(tables: Sequence[Table], fmt: str, name: str, fallback: str) -> Response:
    """The file download of ``tables`` as ``name.csv`` or ``name.xlsx``.

    ``name`` may be Chinese (sent as RFC 5987 ``filename*``); ``fallback`` is the
    ASCII name for clients that do not read it.
    """
    body = _csv(tables) if check_format(fmt) == "csv" else _xlsx(tables)
    filename = f"{name}.{fmt}"
    ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in f"{fallback}.{fmt}")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(body, media_type=FORMATS[fmt], headers={"Content-Disposition": disposition,
                                                            "Cache-Control": "no-store"})
