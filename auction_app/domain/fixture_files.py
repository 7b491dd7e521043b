"""Reading a fixture file (CSV or JSON) into rows, before any row is validated.

Decides the format from the file name, refuses files that cannot be a fixture
list (too big, empty, binary, not UTF-8, JSON named .csv...), and turns both
formats into the same rows, `(row_number, {column: text})`, with the "shape"
problems (wrong number of values, unknown or missing columns) of each row.
`auction_app.domain.fixtures` validates the rows; its docstring explains row
numbering and columns (docs/fixtures-format.md).

Pure module: standard library only, no Flask, no database.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

MAX_IMPORT_BYTES = 1024 * 1024  # 1 MB: a 380-match season is ~30 KB, so this is generous

REQUIRED_COLUMNS = ("date", "home", "away", "home_score", "away_score")
OPTIONAL_COLUMNS = ("competition", "round", "result")
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


@dataclass(frozen=True)
class RowProblem:
    row: int  # see module docstring for numbering; 0 = whole file
    message: str

    def __str__(self) -> str:
        return self.message if self.row == 0 else f"row {self.row}: {self.message}"


class FixtureImportError(ValueError):
    """The import was rejected; nothing was imported. `problems` lists every reason."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


def read_rows(filename: str, content: bytes) -> ReadResult:
    """The file's rows and their shape problems; raises FixtureImportError for a file
    that cannot be read at all (row 0) or whose CSV header is unusable."""
    kind = _file_kind(filename)
    text = _decode(content, kind)
    return _csv_rows(text) if kind == "csv" else _json_rows(text)


# --- file level -----------------------------------------------------------------


def _fail(message: str, row: int = 0) -> FixtureImportError:
    return FixtureImportError([RowProblem(row, message)])


def _file_kind(filename: str) -> str:
    """Decide CSV vs JSON from the extension; the content is checked later."""
    lowered = (filename or "").strip().lower()
    for kind in ("csv", "json"):
        if lowered.endswith("." + kind):
            return kind
    raise _fail(
        f"'{filename}' is not a CSV or JSON file; only .csv and .json files can be imported"
    )


def _decode(content: bytes, kind: str) -> str:
    if len(content) > MAX_IMPORT_BYTES:
        raise _fail(
            f"the file is too big ({len(content):,} bytes);"
            f" the limit is {MAX_IMPORT_BYTES:,} bytes (1 MB)"
        )
    if not content.strip():
        raise _fail("the file is empty")
    if b"\x00" in content:  # spreadsheets (.xlsx), images etc. renamed to .csv
        raise _fail(
            f"the file is not a text {kind.upper()} file"
            " (it looks like a binary file, e.g. a spreadsheet)"
        )
    try:
        text = content.decode("utf-8-sig")  # -sig: Excel adds a byte-order mark
    except UnicodeDecodeError:
        raise _fail("the file is not UTF-8 text; save it as 'CSV UTF-8' and try again") from None
    looks_like_json = text.lstrip()[:1] in ("[", "{")
    if kind == "csv" and looks_like_json:
        raise _fail("the file is named .csv but contains JSON; rename it to .json")
    if kind == "json" and not looks_like_json:
        raise _fail("the file is named .json but doesn't contain JSON (is it a CSV file?)")
    return text


# --- reading rows: both formats become (row_number, {column: value}) ---------------

RawRow = tuple[int, dict[str, str]]
# Readers return the rows they could read plus "shape" problems (wrong number of
# values, unknown keys...), so those are reported together with every other bad row.
ReadResult = tuple[list[RawRow], list[RowProblem]]


def _csv_rows(text: str) -> ReadResult:
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise _fail(f"the file could not be read as CSV ({exc})") from None
    header_index = next(
        (i for i, record in enumerate(records) if any(c.strip() for c in record)), None
    )
    if header_index is None:
        raise _fail("the file is empty")
    header = [cell.strip().lower() for cell in records[header_index]]
    header_row = header_index + 1
    header_problems = _column_problems(header)
    if header_problems:  # without a usable header no row can be read
        raise FixtureImportError([RowProblem(header_row, p) for p in header_problems])
    rows: list[RawRow] = []
    problems: list[RowProblem] = []
    data_records = records[header_index + 1:]
    for row_number, record in enumerate(data_records, start=header_row + 1):
        if not any(cell.strip() for cell in record):
            continue  # blank line
        if len(record) != len(header):
            problems.append(
                RowProblem(
                    row_number, f"has {len(record)} values but the header has {len(header)} columns"
                )
            )
            continue
        rows.append((row_number, dict(zip(header, record))))
    if not rows and not problems:
        raise _fail("the file has a header but no fixtures")
    return rows, problems


def _column_problems(header: list[str]) -> list[str]:
    problems = []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    unknown = [c for c in header if c and c not in ALL_COLUMNS]
    if unknown:
        problems.append(
            f"unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}; "
            f"allowed columns are {', '.join(ALL_COLUMNS)}"
        )
    if "" in header:  # usually a stray comma at the end of the header line
        problems.append("a column has no name (is there an extra comma in the header?)")
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if repeated:
        problems.append(
            f"column{'s' if len(repeated) > 1 else ''} listed twice: {', '.join(repeated)}"
        )
    return problems


def _json_rows(text: str) -> ReadResult:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            f"the file is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise _fail("the JSON file is nested too deeply to be a list of fixtures") from None
    if not isinstance(data, list):
        raise _fail('the JSON file must be a list of fixtures: [{"date": ..., "home": ...}, ...]')
    if not data:
        raise _fail("the file has no fixtures")
    rows: list[RawRow] = []
    problems: list[RowProblem] = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            problems.append(
                RowProblem(number, 'must be an object like {"date": ..., "home": ..., ...}')
            )
            continue
        normalised = {str(k).strip().lower(): v for k, v in item.items()}
        column_problems = _column_problems(list(normalised))
        if column_problems:
            problems.extend(RowProblem(number, p) for p in column_problems)
            continue
        rows.append((number, {k: _json_value_as_text(v) for k, v in normalised.items()}))
    return rows, problems


def _json_value_as_text(value: Any) -> str:
    """Turn JSON values into the text a CSV cell would hold, so one validator serves both.

    null -> "" (empty), whole numbers -> "2". Floats and booleans keep a form that
    the score check rejects with a clear message.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
