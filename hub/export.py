"""Tables as files for the back office: CSV (with a BOM, so Excel reads the Chinese headers
as UTF-8) and XLSX (openpyxl). Columns are (key, title); rows are dicts by key."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Columns = Sequence[tuple[str, str]]

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = (CSV, XLSX)  # what `download` answers, for the OpenAPI document


def to_csv(columns: Columns, rows: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in columns])
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row[name] for name, _ in columns])
    return "\ufeff" + out.getvalue()


def to_xlsx(
    columns: Columns,
    rows: Iterable[Mapping[str, Any]],
    title: str,
    *,
    wide: frozenset[str] = frozenset(),
) -> bytes:
    """Bold headers; columns named `*_rate` as percentages; `wide` columns wider."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append([t for _, t in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(name) for name, _ in columns])
    for index, (name, _) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 24 if name in wide else 14
        if name.endswith("_rate"):
            for cell in sheet[letter][1:]:
                cell.number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(
    format: str,
    filename: str,
    columns: Columns,
    rows: Sequence[Mapping[str, Any]],
    title: str,
    *,
    wide: frozenset[str] = frozenset(),
) -> Any:
    """A table as a download (`format` "csv" or "xlsx"), or None for any other format."""
    from aiohttp import web

    if format == "csv":
        return web.Response(
            text=to_csv(columns, rows),
            content_type=CSV,
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
        )
    if format == "xlsx":
        return web.Response(
            body=to_xlsx(columns, rows, title, wide=wide),
            content_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
        )
    return None
