"""How SOT Point's CSV files are written, for Excel as set up in Sweden.

`;` between fields, decimal commas, a UTF-8 byte order mark (so Excel reads
å, ä and ö), CRLF line ends, and no cell that a spreadsheet would run as a
formula. The site's journal report (export.py) and the region's follow-up
report (rules/region_report.py) share these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import csv
import io
from typing import Final

BOM: Final = "\ufeff"
DELIMITER: Final = ";"
LINE_END: Final = "\r\n"
# A cell starting with one of these is a formula to a spreadsheet: a name
# typed into Home Assistant or received over MQTT must stay text.
FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def decimal(value: float | None, decimals: int = 1) -> str:
    """A number the Swedish way: decimal comma, empty when unknown."""
    if value is None:
        return ""
    return f"{value:.{decimals}f}".replace(".", ",")


def cell_text(value: str) -> str:
    """Text that stays text in a spreadsheet."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    """The rows as one CSV text, byte order mark first."""
    out = io.StringIO()
    out.write(BOM)
    csv.writer(out, delimiter=DELIMITER, lineterminator=LINE_END).writerows(rows)
    return out.getvalue()
