"""The layouts of hotlist feeds: an agency's CSV extract (NCIC/CLETS style) and a partner's JSON.

Both parsers are strict about the file and forgiving about rows. A row that does not validate
becomes a ``RowError`` (with its line and the field at fault) and is left out, so one mistyped
state does not hold back a list of thousands. A file that cannot be trusted as a whole raises
``MalformedFeed`` instead, and the caller must then change nothing: an empty body, a truncated
or binary download, an HTML error page, a header without the plate or the state, or more bad
rows than ``max_bad_fraction`` allows. The sync replaces a hotlist with what it is given, so a
broken download must never be mistaken for an empty or much shorter list and wipe the hotlist.

FEEDS.md (next to the service's pyproject.toml) documents the layouts for the people who send them.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Protocol, TypeAlias, TypeVar

from alpr_common import normalize_plate, normalize_plate_pattern

__all__ = [
    "COLUMN_ALIASES",
    "FEED_FORMATS",
    "FeedEntry",
    "MalformedFeed",
    "ParsedFeed",
    "RowError",
    "parse_csv",
    "parse_feed",
    "parse_partner_feed",
]

FEED_FORMATS: Final = ("csv", "partner_json")

MAX_PLATE_LEN: Final = 10
MAX_PLATE_TYPE_LEN: Final = 8
MAX_REASON_LEN: Final = 500
MAX_REASON_CODE_LEN: Final = 16
MIN_VEHICLE_YEAR: Final = 1900
# Model years run ahead of the calendar (a 2027 model is sold in 2026); more is a typo.
MAX_YEARS_AHEAD: Final = 2
# A partner's clock may run a little fast; a refresh further in the future is a lie.
CLOCK_SKEW: Final = timedelta(minutes=5)
# The end of the day a date-only expiry names: the entry is live for the whole of that day.
END_OF_DAY: Final = time(23, 59, 59, tzinfo=UTC)

# Canonical column -> the other names agencies' exports use for it (NCIC message field codes
# such as LIC/LIS/VMA, and the plain-English names of spreadsheet exports).
COLUMN_ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "plate": ("lic", "license", "licence", "license_plate", "license_number", "plate_number", "plate_no",
              "lic_no", "lic_number", "tag", "tag_number"),
    "state": ("lis", "license_state", "plate_state", "lic_state", "st", "state_code"),
    "plate_type": ("lit", "license_type", "lic_type"),
    "vehicle_make": ("vma", "make"),
    "vehicle_model": ("vmo", "model"),
    "vehicle_color": ("vco", "color", "colour", "vehicle_colour"),
    "vehicle_year": ("vyr", "year", "model_year"),
    "reason": ("mis", "remarks", "remark", "miscellaneous", "description"),
    "reason_code": ("code", "offense", "off", "reason_cd", "offense_code"),
    "ori": ("originating_agency", "ori_number"),
    "ncic_number": ("nic", "ncic", "nic_number"),
    "entry_date": ("dte", "date_of_entry", "entered", "entered_on"),
    "expiry": ("exp", "expires", "expiry_date", "expiration", "expiration_date", "expires_at"),
}  # fmt: skip
_COLUMN_OF: Final = {alias: name for name, aliases in COLUMN_ALIASES.items() for alias in (name, *aliases)}
_REQUIRED_COLUMNS: Final = ("plate", "state")
_PARTNER_KEYS: Final = ("plate", "state", "kind", "reason", "expires_at", "refreshed_at")

_DELIMITERS: Final = ",\t;|"
_ERRORS_IN_MESSAGE: Final = 5

_HEADER_JUNK: Final = re.compile(r"[^a-z0-9]+")
# C0 controls other than tab, LF and CR never occur in a text export; they mean binary data.
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_STATE: Final = re.compile(r"[A-Za-z]{2}")
_ORI: Final = re.compile(r"[A-Za-z0-9]{9}")
_NCIC_NUMBER: Final = re.compile(r"[A-Za-z0-9]{1,16}")
_YEAR: Final = re.compile(r"[0-9]{4}")
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BASIC_DATE: Final = re.compile(r"[0-9]{8}")
_US_DATE: Final = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_ISO_DATETIME: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}")
_DATE_FORMATS: Final = "YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY or an ISO date-time"

T = TypeVar("T")
Values: TypeAlias = Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One validated hotlist record.

    ``line`` is the physical line the CSV row starts on (the header is line 1) or the 1-based
    index of a partner item. ``expires_at`` is aware UTC; a date-only expiry means the end of
    that day, 23:59:59 UTC. ``kind`` and ``refreshed_at`` come only from the partner feed.
    """

    line: int
    plate: str
    state: str
    plate_type: str | None
    vehicle_make: str | None
    vehicle_model: str | None
    vehicle_color: str | None
    vehicle_year: int | None
    reason: str | None
    reason_code: str | None
    ori: str | None
    ncic_number: str | None
    entered_on: date | None
    expires_at: datetime | None
    kind: str | None = None
    refreshed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    """A row left out of the feed, with the reason an operator can act on (it names the field)."""

    line: int
    error: str


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """The good entries of a usable file and the rows that were left out."""

    entries: list[FeedEntry]
    errors: list[RowError]


class MalformedFeed(ValueError):
    """The whole file is unusable: nothing may change."""


class _LineReader(Protocol):
    """What ``csv.reader`` gives: rows, and the count of physical lines read so far."""

    @property
    def line_num(self) -> int: ...

    def __iter__(self) -> Iterator[list[str]]: ...


class _Invalid(ValueError):
    """One field's value is wrong; the message says why, without the field's name."""


def parse_feed(
    data: bytes, fmt: str, *, max_bad_fraction: float = 0.1, now: datetime | None = None
) -> ParsedFeed:
    """Parse ``data`` in the layout ``fmt`` (one of ``FEED_FORMATS``)."""
    if fmt == "csv":
        return parse_csv(data, max_bad_fraction=max_bad_fraction, now=now)
    if fmt == "partner_json":
        return parse_partner_feed(data, max_bad_fraction=max_bad_fraction, now=now)
    raise ValueError(f"unknown feed format {fmt!r}; expected one of {', '.join(FEED_FORMATS)}")


# --- CSV ---------------------------------------------------------------------------------------


def parse_csv(data: bytes, *, max_bad_fraction: float = 0.1, now: datetime | None = None) -> ParsedFeed:
    """Parse an agency's CSV extract; raise ``MalformedFeed`` when the file as a whole is unusable.

    A file with a header and no data rows is malformed too: an agency's list is never empty, and
    an empty list would wipe the hotlist.
    """
    _check_fraction(max_bad_fraction)
    clock = _utc_now(now)
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text), strict=True)
    rows = _numbered_rows(reader)
    header = next(rows, None)
    if header is None:
        raise MalformedFeed("the file has no header row (only blank or comment lines)")
    columns = _columns(header[1])
    width = len(header[1])
    results = [_csv_row(line, cells, columns, width, clock) for line, cells in rows]
    if not results:
        raise MalformedFeed("the file has a header but no data rows")
    return _judge(results, max_bad_fraction)


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, which is what Excel exports on Windows.

    UTF-16 with a BOM ("Unicode text" from Excel) is read too. Control characters other than
    tab and line ends mean the bytes are not a text export at all (a zip, an image, a PDF).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise MalformedFeed(f"the file is not text (tried {', '.join(encodings)})")
    if not text.strip():
        raise MalformedFeed("the file is empty")
    if control := _CONTROL.search(text):
        raise MalformedFeed(
            f"the file holds binary data (control character {ord(control[0]):#04x} at character "
            f"{control.start()}): not a CSV text file"
        )
    return text


def _sniff_delimiter(text: str) -> str:
    """The header line's delimiter among comma, tab, semicolon and pipe; comma when unclear.

    The sniffer only sees the candidates the header uses most (on one line it would otherwise
    prefer a comma inside a name to the pipes between them). Only the delimiter is taken from
    the sniffed dialect; quoting stays the standard CSV one.
    """
    header = next((line for line in io.StringIO(text, newline="") if not _is_blank_or_comment(line)), "")
    counts = {candidate: header.count(candidate) for candidate in _DELIMITERS}
    most = max(counts.values())
    if not most:
        return ","
    candidates = "".join(candidate for candidate, count in counts.items() if count == most)
    try:
        return csv.Sniffer().sniff(header.rstrip("\r\n"), delimiters=candidates).delimiter
    except csv.Error:
        return ","


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip().strip(_DELIMITERS + '"')
    return not stripped or stripped.startswith("#")


def _numbered_rows(reader: _LineReader) -> Iterator[tuple[int, list[str]]]:
    """The rows worth reading, each with the physical line it starts on.

    ``line_num`` counts the lines read so far, so a row starts one line after where the
    previous row ended, however many lines a quoted value spans. Blank rows (only empty cells)
    and comment rows (first cell starting with ``#``) are skipped silently.
    """
    ended = 0
    try:
        for cells in reader:
            start, ended = ended + 1, reader.line_num
            if _is_data(cells):
                yield start, cells
    except csv.Error as exc:  # an unbalanced quote, as in a truncated download
        raise MalformedFeed(f"line {ended + 1}: not valid CSV ({exc})") from exc


def _is_data(cells: Sequence[str]) -> bool:
    if not cells:
        return False
    first = cells[0].lstrip()
    if first:  # the usual case: a plate in the first column
        return not first.startswith("#")
    return any(cell.strip() for cell in cells)


def _columns(header: Sequence[str]) -> list[tuple[str, int]]:
    """(canonical name, index) of each known column; unknown columns are ignored.

    Names match case-insensitively, with any run of spaces, dashes or punctuation read as one
    underscore, so ``"License Plate"``, ``license-plate`` and ``LICENSE_PLATE`` are one column.
    """
    found: dict[str, str] = {}
    columns: list[tuple[str, int]] = []
    for index, name in enumerate(header):
        canonical = _COLUMN_OF.get(_HEADER_JUNK.sub("_", name.strip().lower()).strip("_"))
        if canonical is None:
            continue
        if canonical in found:
            raise MalformedFeed(
                f"header: columns {found[canonical]!r} and {name.strip()!r} both mean {canonical}"
            )
        found[canonical] = name.strip()
        columns.append((canonical, index))
    missing = [name for name in _REQUIRED_COLUMNS if name not in found]
    if missing:
        raise MalformedFeed(
            f"header: no {' or '.join(missing)} column (found {_shorten(', '.join(header))!r}); "
            + "; ".join(f"{name} may be named {', '.join((name, *COLUMN_ALIASES[name]))}" for name in missing)
        )
    return columns


def _csv_row(
    line: int, cells: Sequence[str], columns: Sequence[tuple[str, int]], width: int, now: datetime
) -> FeedEntry | RowError:
    # More cells than the header shifts the values (an unquoted delimiter inside a value), so
    # the row cannot be trusted; fewer cells only leaves trailing optional values out.
    if len(cells) > width:
        return RowError(line, f"row has {len(cells)} cells but the header has {width}")
    count = len(cells)
    values = {name: (cells[index].strip() or None) if index < count else None for name, index in columns}
    return _agency_entry(line, values, now)


def _agency_entry(line: int, values: Values, now: datetime) -> FeedEntry | RowError:
    errors: list[str] = []
    plate = _required(values, "plate", _plate, errors)
    state = _required(values, "state", _state, errors)
    plate_type = _optional(values, "plate_type", _plate_type, errors)
    vehicle_year = _optional(values, "vehicle_year", lambda raw: _vehicle_year(raw, now), errors)
    reason = _optional(values, "reason", _reason, errors)
    reason_code = _optional(values, "reason_code", _reason_code, errors)
    ori = _optional(values, "ori", _ori, errors)
    ncic_number = _optional(values, "ncic_number", _ncic_number, errors)
    entered_on = _optional(values, "entry_date", _entry_date, errors)
    expires_at = _optional(values, "expiry", _expiry, errors)
    if errors or plate is None or state is None:
        return RowError(line, "; ".join(errors))
    return FeedEntry(
        line=line,
        plate=plate,
        state=state,
        plate_type=plate_type,
        vehicle_make=values.get("vehicle_make"),
        vehicle_model=values.get("vehicle_model"),
        vehicle_color=values.get("vehicle_color"),
        vehicle_year=vehicle_year,
        reason=reason,
        reason_code=reason_code,
        ori=ori,
        ncic_number=ncic_number,
        entered_on=entered_on,
        expires_at=expires_at,
    )


# --- Partner JSON ------------------------------------------------------------------------------


def parse_partner_feed(
    data: bytes, *, max_bad_fraction: float = 0.1, now: datetime | None = None
) -> ParsedFeed:
    """Parse a partner's ``GET /v1/shared-hotlist`` answer: ``{"items": [...], ...}``.

    Keys other than ``items`` (``next_cursor``...) are ignored. An empty ``items`` list is a
    valid answer (the partner shares nothing at the moment), unlike an empty CSV file.
    """
    _check_fraction(max_bad_fraction)
    clock = _utc_now(now)
    items = _partner_items(data)
    results = [_partner_entry(index, item, clock) for index, item in enumerate(items, 1)]
    return _judge(results, max_bad_fraction)


def _partner_items(data: bytes) -> list[Mapping[str, object]]:
    try:
        document: object = json.loads(data)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise MalformedFeed(f"the partner feed is not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise MalformedFeed(f"the partner feed is a JSON {_json_type(document)}, not an object with 'items'")
    items = document.get("items")
    if not isinstance(items, list):
        raise MalformedFeed(f"the partner feed has no 'items' list (got {_json_type(items)})")
    checked: list[Mapping[str, object]] = []
    for index, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise MalformedFeed(f"item {index} is a JSON {_json_type(item)}, not an object")
        checked.append(item)
    return checked


def _partner_entry(index: int, item: Mapping[str, object], now: datetime) -> FeedEntry | RowError:
    values: dict[str, str | None] = {}
    errors: list[str] = []
    for key in _PARTNER_KEYS:
        value = item.get(key)
        if value is None:
            values[key] = None
        elif isinstance(value, str):
            values[key] = value.strip() or None
        else:
            errors.append(f"{key}: expected a string, got a {_json_type(value)}")
    if errors:  # a partner sending the wrong types: say so rather than "missing" for each
        return RowError(index, "; ".join(errors))
    plate = _required(values, "plate", _plate, errors)
    state = _required(values, "state", _state, errors)
    reason = _optional(values, "reason", _reason, errors)
    expires_at = _optional(values, "expires_at", _expiry, errors)
    refreshed_at = _required(values, "refreshed_at", lambda raw: _refreshed_at(raw, now), errors)
    if errors or plate is None or state is None or refreshed_at is None:
        return RowError(index, "; ".join(errors))
    return FeedEntry(
        line=index,
        plate=plate,
        state=state,
        plate_type=None,
        vehicle_make=None,
        vehicle_model=None,
        vehicle_color=None,
        vehicle_year=None,
        reason=reason,
        reason_code=None,
        ori=None,
        ncic_number=None,
        entered_on=None,
        expires_at=expires_at,
        kind=values.get("kind"),
        refreshed_at=refreshed_at,
    )


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


# --- Shared: the file-level verdict, fields and their validators ------------------------------


def _judge(results: Sequence[FeedEntry | RowError], max_bad_fraction: float) -> ParsedFeed:
    """Split rows into entries and errors, or refuse the file when too many rows are bad.

    Many bad rows mean the file is not what it claims (columns shifted, wrong export), and
    loading only the rows that happen to validate would silently drop the rest from the list.
    """
    entries = [result for result in results if isinstance(result, FeedEntry)]
    errors = [result for result in results if isinstance(result, RowError)]
    if len(errors) > max_bad_fraction * len(results):
        first = "; ".join(f"line {error.line}: {error.error}" for error in errors[:_ERRORS_IN_MESSAGE])
        more = ", ..." if len(errors) > _ERRORS_IN_MESSAGE else ""
        raise MalformedFeed(
            f"{len(errors)} of {len(results)} rows are bad (at most {max_bad_fraction * 100:g}% may be); "
            f"first: {first}{more}"
        )
    return ParsedFeed(entries=entries, errors=errors)


def _check_fraction(max_bad_fraction: float) -> None:
    if not 0.0 <= max_bad_fraction <= 1.0:
        raise ValueError(f"max_bad_fraction must be between 0 and 1, not {max_bad_fraction}")


def _utc_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def _required(values: Values, name: str, parse: Callable[[str], T], errors: list[str]) -> T | None:
    if values.get(name) is None:
        errors.append(f"{name}: missing")
        return None
    return _optional(values, name, parse, errors)


def _optional(values: Values, name: str, parse: Callable[[str], T], errors: list[str]) -> T | None:
    raw = values.get(name)
    if raw is None:
        return None
    try:
        return parse(raw)
    except _Invalid as exc:
        errors.append(f"{name}: {exc}")
        return None


def _plate(raw: str) -> str:
    """Wildcards are for an analyst's search, never for a synced list: one "*" would alert on
    thousands of cars."""
    if "*" in raw or "?" in raw or (not raw.isascii() and _has_folded_wildcard(raw)):
        raise _Invalid(f"{raw!r} has a wildcard (* or ?), which a hotlist may not hold")
    plate = normalize_plate(raw)
    if not plate:
        raise _Invalid(f"{raw!r} has no letters or digits")
    if len(plate) > MAX_PLATE_LEN:
        raise _Invalid(f"{raw!r} is longer than {MAX_PLATE_LEN} characters")
    return plate


def _has_folded_wildcard(raw: str) -> bool:
    """A full-width or small-form "＊"/"？" folds into a wildcard; ASCII text needs no folding."""
    pattern = normalize_plate_pattern(raw)
    return "*" in pattern or "?" in pattern


def _state(raw: str) -> str:
    if not _STATE.fullmatch(raw):
        raise _Invalid(f"{raw!r} is not a 2-letter code")
    return raw.upper()


def _code(limit: int) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if len(raw) > limit:
            raise _Invalid(f"{raw!r} is longer than {limit} characters")
        return raw.upper()

    return parse


_plate_type: Final = _code(MAX_PLATE_TYPE_LEN)
_reason_code: Final = _code(MAX_REASON_CODE_LEN)


def _reason(raw: str) -> str:
    if len(raw) > MAX_REASON_LEN:
        raise _Invalid(f"{len(raw)} characters, at most {MAX_REASON_LEN}")
    return raw


def _vehicle_year(raw: str, now: datetime) -> int:
    latest = now.year + MAX_YEARS_AHEAD
    if not _YEAR.fullmatch(raw) or not MIN_VEHICLE_YEAR <= int(raw) <= latest:
        raise _Invalid(f"{raw!r} is not a year from {MIN_VEHICLE_YEAR} to {latest}")
    return int(raw)


def _ori(raw: str) -> str:
    if not _ORI.fullmatch(raw):
        raise _Invalid(f"{raw!r} is not an ORI (9 letters or digits)")
    return raw.upper()


def _ncic_number(raw: str) -> str:
    if not _NCIC_NUMBER.fullmatch(raw):
        raise _Invalid(f"{raw!r} is not an NCIC number (1 to 16 letters or digits)")
    return raw.upper()


def _entry_date(raw: str) -> date:
    """The calendar date as written; a date-time gives its own date, not UTC's."""
    when = _date_or_datetime(raw)
    return when.date() if isinstance(when, datetime) else when


def _expiry(raw: str) -> datetime:
    """Aware UTC. A date-only expiry keeps the entry live to the end of that day, 23:59:59 UTC;
    a date-time without an offset is read as UTC."""
    when = _date_or_datetime(raw)
    if not isinstance(when, datetime):
        return datetime.combine(when, END_OF_DAY)
    try:
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except OverflowError:
        raise _Invalid(f"{raw!r} is out of range") from None


def _refreshed_at(raw: str, now: datetime) -> datetime:
    when = _iso_datetime(raw)
    if when is None:
        raise _Invalid(f"{raw!r} is not an ISO date-time")
    if when.tzinfo is None:
        raise _Invalid(f"{raw!r} has no UTC offset")
    try:
        when = when.astimezone(UTC)
    except OverflowError:
        raise _Invalid(f"{raw!r} is out of range") from None
    if when > now + CLOCK_SKEW:
        raise _Invalid(f"{raw!r} is in the future")
    return when


def _date_or_datetime(raw: str) -> date | datetime:
    """A date-only value (three layouts) or an ISO date-time, possibly naive."""
    when = _calendar_date(raw) or _iso_datetime(raw)
    if when is None:
        raise _Invalid(f"{raw!r} is not a date ({_DATE_FORMATS})")
    return when


def _calendar_date(raw: str) -> date | None:
    try:
        if _ISO_DATE.fullmatch(raw):
            return date.fromisoformat(raw)
        if _BASIC_DATE.fullmatch(raw):
            return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        if us_date := _US_DATE.fullmatch(raw):
            return date(int(us_date[3]), int(us_date[1]), int(us_date[2]))
    except ValueError:
        raise _Invalid(f"{raw!r} is not a real date") from None
    return None


def _iso_datetime(raw: str) -> datetime | None:
    # The prefix check keeps fromisoformat's rarer forms (week dates, bare times) out.
    if not _ISO_DATETIME.match(raw):
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise _Invalid(f"{raw!r} is not a valid ISO date-time") from None


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
