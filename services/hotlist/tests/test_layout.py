"""The feed layouts: an agency's CSV extract and a partner's JSON parse into entries, bad rows are
reported with their line and field, and a file that cannot be trusted as a whole is refused so
a broken download never wipes a hotlist."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta, timezone
from importlib import resources

import pytest

from alpr_hotlist.sources.layout import (
    FEED_FORMATS,
    FeedEntry,
    MalformedFeed,
    ParsedFeed,
    RowError,
    parse_csv,
    parse_feed,
    parse_partner_feed,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
HEADER = "plate,state,vehicle_year,reason,ori,entry_date,expiry"


def _csv(*lines: str, encoding: str = "utf-8") -> bytes:
    return "\n".join(lines).encode(encoding)


def _good_rows(count: int) -> list[str]:
    return [f"GOOD{index:03d},CA,2019,Stolen vehicle,CA0194200,2026-01-01," for index in range(count)]


def _errors(feed: ParsedFeed) -> list[tuple[int, str]]:
    return [(error.line, error.error) for error in feed.errors]


class TestSample:
    def test_the_sample_parses_without_errors(self) -> None:
        data = resources.files("alpr_hotlist.sources").joinpath("sample_ncic.csv").read_bytes()

        feed = parse_csv(data, now=NOW)

        assert feed.errors == []
        assert len(feed.entries) == 20
        first = feed.entries[0]
        assert (first.line, first.plate, first.state, first.vehicle_year) == (2, "7ABC123", "CA", 2018)
        assert first.ori == "CA0194200"
        assert first.ncic_number == "V482913570"
        assert first.entered_on == date(2026, 1, 14)
        assert first.expires_at is None
        assert first.kind is None
        assert first.refreshed_at is None

    def test_the_sample_holds_a_canadian_plate_and_keeps_duplicates(self) -> None:
        data = resources.files("alpr_hotlist.sources").joinpath("sample_ncic.csv").read_bytes()

        entries = parse_csv(data, now=NOW).entries

        assert ("CBRT482", "ON") in {(entry.plate, entry.state) for entry in entries}
        assert [entry.line for entry in entries if entry.plate == "7ABC123"] == [2, 17]
        assert {entry.state for entry in entries} >= {"CA", "NV", "AZ", "TX", "ON"}


class TestLayoutVariants:
    def test_bom_ncic_aliases_and_semicolons(self) -> None:
        data = b"\xef\xbb\xbf" + _csv(
            "LIC;LIS;LIT;VMA;VMO;VCO;VYR;MIS;OFF;ORI;NIC;DTE;EXP",
            "7abc-123;ca;pc;TOYT;CAMRY;SIL;2018;Stolen, from driveway;stolen_veh;ca0194200;v482913570;"
            "20260114;2026-12-31",
        )

        feed = parse_csv(data, now=NOW)

        assert feed.errors == []
        assert feed.entries == [
            FeedEntry(
                line=2,
                plate="7ABC123",
                state="CA",
                plate_type="PC",
                vehicle_make="TOYT",
                vehicle_model="CAMRY",
                vehicle_color="SIL",
                vehicle_year=2018,
                reason="Stolen, from driveway",
                reason_code="STOLEN_VEH",
                ori="CA0194200",
                ncic_number="V482913570",
                entered_on=date(2026, 1, 14),
                expires_at=datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
                kind=None,
                refreshed_at=None,
            )
        ]

    @pytest.mark.parametrize(
        ("plate_header", "state_header"),
        [
            ("License Plate", "License State"),
            (" plate-number ", "PLATE STATE"),
            ("Tag", "St"),
            ("lic_no", "lis"),
        ],
    )
    def test_header_names_match_loosely(self, plate_header: str, state_header: str) -> None:
        feed = parse_csv(_csv(f"{plate_header},{state_header}", "ABC123,NV"), now=NOW)

        assert [(entry.plate, entry.state) for entry in feed.entries] == [("ABC123", "NV")]

    @pytest.mark.parametrize("delimiter", ["\t", "|", ";", ","])
    def test_delimiters(self, delimiter: str) -> None:
        rows = [["plate", "state", "reason"], ["ABC123", "NV", "Stolen vehicle"], ["XYZ9", "AZ", ""]]

        feed = parse_csv(_csv(*(delimiter.join(row) for row in rows)), now=NOW)

        assert feed.errors == []
        assert [(entry.plate, entry.state, entry.reason) for entry in feed.entries] == [
            ("ABC123", "NV", "Stolen vehicle"),
            ("XYZ9", "AZ", None),
        ]

    def test_the_delimiter_the_header_uses_most_wins(self) -> None:
        feed = parse_csv(_csv("plate|state|notes; internal", "AAA111|CA|x; y"), now=NOW)

        assert [(entry.plate, entry.state) for entry in feed.entries] == [("AAA111", "CA")]

    def test_quoted_values_with_commas_and_newlines_keep_line_numbers(self) -> None:
        data = _csv(
            "plate,state,reason",
            'AAA111,CA,"armed, dangerous"',
            'BBB222,CA,"first line',
            "second line",
            'third line"',
            "CCC333,CA,plain",
            'DDD444,California,"bad state, quoted"',
        )

        feed = parse_csv(data, now=NOW, max_bad_fraction=0.5)

        assert [(entry.line, entry.plate) for entry in feed.entries] == [
            (2, "AAA111"),
            (3, "BBB222"),
            (6, "CCC333"),
        ]
        assert feed.entries[0].reason == "armed, dangerous"
        assert feed.entries[1].reason == "first line\nsecond line\nthird line"
        assert _errors(feed) == [(7, "state: 'California' is not a 2-letter code")]

    def test_crlf_line_ends(self) -> None:
        data = b"plate,state\r\nAAA111,CA\r\n\r\nBBB222,NV\r\n"

        feed = parse_csv(data, now=NOW)

        assert [(entry.line, entry.plate) for entry in feed.entries] == [(2, "AAA111"), (4, "BBB222")]

    def test_blank_and_comment_lines_are_skipped(self) -> None:
        data = _csv(
            "# NCIC extract, agency CA0194200",
            "",
            "plate,state",
            "",
            "# a comment between rows",
            ",",
            "AAA111,CA",
            "   ",
            "BBB222,NV",
            "",
        )

        feed = parse_csv(data, now=NOW)

        assert feed.errors == []
        assert [(entry.line, entry.plate) for entry in feed.entries] == [(7, "AAA111"), (9, "BBB222")]

    def test_cp1252_export(self) -> None:
        data = _csv("plate,state,reason", "AAA111,ON,Volé à Montréal – véhicule", encoding="cp1252")
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")

        feed = parse_csv(data, now=NOW)

        assert feed.entries[0].reason == "Volé à Montréal – véhicule"

    def test_utf16_with_bom(self) -> None:
        data = "plate\tstate\tremarks\nAAA111\tQC\tVolé\n".encode("utf-16")

        feed = parse_csv(data, now=NOW)

        assert [(entry.plate, entry.state, entry.reason) for entry in feed.entries] == [
            ("AAA111", "QC", "Volé")
        ]

    def test_unknown_columns_are_ignored_and_optional_columns_may_be_absent(self) -> None:
        feed = parse_csv(_csv("agency_name,plate,notes_internal,state", "Anytown PD,AAA111,x,CA"), now=NOW)

        assert feed.entries[0].plate == "AAA111"
        assert feed.entries[0].vehicle_make is None
        assert feed.entries[0].expires_at is None

    def test_fewer_cells_leave_optional_values_out(self) -> None:
        feed = parse_csv(_csv(HEADER, "AAA111,CA", "BBB222,NV,2020"), now=NOW)

        assert feed.errors == []
        assert [(entry.plate, entry.vehicle_year, entry.reason) for entry in feed.entries] == [
            ("AAA111", None, None),
            ("BBB222", 2020, None),
        ]

    def test_empty_strings_are_none_and_values_are_stripped(self) -> None:
        feed = parse_csv(_csv(HEADER, " AAA111 , ca ,  ,  Stolen  , , , "), now=NOW)

        entry = feed.entries[0]
        assert (entry.plate, entry.state, entry.vehicle_year, entry.reason, entry.ori) == (
            "AAA111",
            "CA",
            None,
            "Stolen",
            None,
        )

    def test_a_large_file(self) -> None:
        rows = [
            f"{index:07d},{'CA' if index % 2 else 'NV'},PC,TOYT,CAMRY,SIL,2018,Stolen vehicle,STOLEN_VEH,"
            f"CA0194200,V{index:09d},2026-01-14,2026-12-31"
            for index in range(100_000)
        ]
        data = _csv(
            "plate,state,plate_type,vehicle_make,vehicle_model,vehicle_color,vehicle_year,reason,"
            "reason_code,ori,ncic_number,entry_date,expiry",
            *rows,
        )

        feed = parse_csv(data, now=NOW)

        assert feed.errors == []
        assert len(feed.entries) == 100_000
        assert feed.entries[-1].line == 100_001
        assert feed.entries[-1].plate == "0099999"


class TestDates:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("2026-12-31", datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)),
            ("20261231", datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)),
            ("12/31/2026", datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)),
            ("1/5/2027", datetime(2027, 1, 5, 23, 59, 59, tzinfo=UTC)),
            ("2026-12-31T08:30:00Z", datetime(2026, 12, 31, 8, 30, tzinfo=UTC)),
            ("2026-12-31T08:30:00-08:00", datetime(2026, 12, 31, 16, 30, tzinfo=UTC)),
            ("2026-12-31 08:30", datetime(2026, 12, 31, 8, 30, tzinfo=UTC)),
        ],
    )
    def test_expiry_formats(self, raw: str, expected: datetime) -> None:
        feed = parse_csv(_csv("plate,state,expiry", f"AAA111,CA,{raw}"), now=NOW)

        assert feed.entries[0].expires_at == expected
        assert feed.entries[0].expires_at.tzinfo is UTC

    def test_a_date_only_expiry_means_the_end_of_that_day_utc(self) -> None:
        entry = parse_csv(_csv("plate,state,expiry", "AAA111,CA,2026-03-10"), now=NOW).entries[0]

        assert entry.expires_at == datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC)

    def test_a_past_expiry_is_loaded(self) -> None:
        feed = parse_csv(_csv("plate,state,expiry", "AAA111,CA,2020-01-01"), now=NOW)

        assert feed.errors == []
        assert feed.entries[0].expires_at == datetime(2020, 1, 1, 23, 59, 59, tzinfo=UTC)

    def test_entry_date_takes_the_date_as_written(self) -> None:
        entry = parse_csv(_csv("plate,state,entered", "AAA111,CA,2026-01-14T23:30:00-08:00"), now=NOW)

        assert entry.entries[0].entered_on == date(2026, 1, 14)

    def test_the_year_bound_follows_now(self) -> None:
        data = _csv("plate,state,year", "AAA111,CA,2028", "BBB222,CA,2029")

        feed = parse_csv(data, now=NOW, max_bad_fraction=0.5)

        assert [entry.vehicle_year for entry in feed.entries] == [2028]
        assert _errors(feed) == [(3, "vehicle_year: '2029' is not a year from 1900 to 2028")]


class TestBadRows:
    @pytest.mark.parametrize(
        ("row", "message"),
        [
            (",CA,,,,,", "plate: missing"),
            ("--- ,CA,,,,,", "plate: '---' has no letters or digits"),
            ("ABCDEFGHIJK,CA,,,,,", "plate: 'ABCDEFGHIJK' is longer than 10 characters"),
            ("AB*123,CA,,,,,", "plate: 'AB*123' has a wildcard (* or ?), which a hotlist may not hold"),
            ("AB?123,CA,,,,,", "plate: 'AB?123' has a wildcard (* or ?), which a hotlist may not hold"),
            (
                "AB\uff0a123,CA,,,,,",
                "plate: 'AB\uff0a123' has a wildcard (* or ?), which a hotlist may not hold",
            ),
            ("AAA111,,,,,,", "state: missing"),
            ("AAA111,California,,,,,", "state: 'California' is not a 2-letter code"),
            ("AAA111,C1,,,,,", "state: 'C1' is not a 2-letter code"),
            ("AAA111,CA,1899,,,,", "vehicle_year: '1899' is not a year from 1900 to 2028"),
            ("AAA111,CA,19xx,,,,", "vehicle_year: '19xx' is not a year from 1900 to 2028"),
            ("AAA111,CA,,,CA01942,,", "ori: 'CA01942' is not an ORI (9 letters or digits)"),
            ("AAA111,CA,,,CA-194200,,", "ori: 'CA-194200' is not an ORI (9 letters or digits)"),
            ("AAA111,CA,,,,2026-02-30,", "entry_date: '2026-02-30' is not a real date"),
            (
                "AAA111,CA,,,,,31.12.2026",
                "expiry: '31.12.2026' is not a date (YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY or an ISO date-time)",
            ),
            ("AAA111,CA,,,,,2026-12-31T25:00", "expiry: '2026-12-31T25:00' is not a valid ISO date-time"),
            ("AAA111,CA,,,,,,extra", "row has 8 cells but the header has 7"),
            (
                ",California,1800,,,,",
                "plate: missing; state: 'California' is not a 2-letter code; "
                "vehicle_year: '1800' is not a year from 1900 to 2028",
            ),
        ],
    )
    def test_a_bad_row_is_reported_and_the_good_ones_kept(self, row: str, message: str) -> None:
        data = _csv(HEADER, *_good_rows(5), row, *_good_rows(5))

        feed = parse_csv(data, now=NOW)

        assert _errors(feed) == [(7, message)]
        assert len(feed.entries) == 10
        assert feed.entries[5].line == 8

    def test_long_codes_and_reasons(self) -> None:
        data = _csv(
            "plate,state,plate_type,reason_code,reason,ncic_number",
            *[f"GOOD{index},CA,PC,STOLEN,ok,V123456789" for index in range(20)],
            "AAA111,CA,PASSENGER,,,",
            "AAA112,CA,,STOLEN_VEHICLE_XYZ,,",
            f"AAA113,CA,,,{'x' * 501},",
            "AAA114,CA,,,,V-123",
        )

        feed = parse_csv(data, now=NOW, max_bad_fraction=0.2)

        assert _errors(feed) == [
            (22, "plate_type: 'PASSENGER' is longer than 8 characters"),
            (23, "reason_code: 'STOLEN_VEHICLE_XYZ' is longer than 16 characters"),
            (24, "reason: 501 characters, at most 500"),
            (25, "ncic_number: 'V-123' is not an NCIC number (1 to 16 letters or digits)"),
        ]

    def test_up_to_the_fraction_is_allowed(self) -> None:
        data = _csv(HEADER, *_good_rows(9), "AAA111,XXX")

        feed = parse_csv(data, now=NOW, max_bad_fraction=0.1)

        assert len(feed.entries) == 9
        assert _errors(feed) == [(11, "state: 'XXX' is not a 2-letter code")]


class TestMalformedCsv:
    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"", "the file is empty"),
            (b" \n\r\n\t\n", "the file is empty"),
            (b"\xef\xbb\xbf", "the file is empty"),
            (b"plate,state\n", "the file has a header but no data rows"),
            (b"plate,state\n\n# nothing today\n,\n", "the file has a header but no data rows"),
            (b"# only a comment\n\n", "the file has no header row"),
            (b"state,make\nCA,TOYT\n", "header: no plate column"),
            (b"plate,make\nAAA111,TOYT\n", "header: no state column"),
            (b"<!DOCTYPE html>\n<html><body>Bad gateway</body></html>\n", "header: no plate or state column"),
            (b"plate,state,lic\nAAA111,CA,AAA111\n", "header: columns 'plate' and 'lic' both mean plate"),
            (b'plate,state,reason\nAAA111,CA,"unterminated\nBBB222,CA,x\n', "line 2: not valid CSV"),
            (b'plate,state,reason\nAAA111,CA,"a"b\n', "line 2: not valid CSV"),
            (b'plate,state\nAAA111,CA\n\nBBB222,CA\n"CCC333,CA\n', "line 5: not valid CSV"),
            (b"plate,state\nAAA\x00111,CA\n", "the file holds binary data"),
            (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03plate", "the file holds binary data"),
        ],
    )
    def test_refused(self, data: bytes, message: str) -> None:
        with pytest.raises(MalformedFeed, match=message.replace("(", r"\(")):
            parse_csv(data, now=NOW)

    def test_binary_garbage(self) -> None:
        garbage = random.Random(7).randbytes(4096)

        with pytest.raises(MalformedFeed):
            parse_csv(garbage, now=NOW)

    def test_bytes_that_are_no_text_encoding(self) -> None:
        with pytest.raises(MalformedFeed, match="the file is not text"):
            parse_csv(b"plate,state\nAAA\x81\x8d,CA\n", now=NOW)

    def test_too_many_bad_rows(self) -> None:
        bad = [f"BAD{index},California" for index in range(3)]
        data = _csv(HEADER, *_good_rows(8), *bad)

        with pytest.raises(MalformedFeed) as caught:
            parse_csv(data, now=NOW, max_bad_fraction=0.2)

        message = str(caught.value)
        assert message.startswith("3 of 11 rows are bad (at most 20% may be); first: ")
        assert "line 10: state: 'California' is not a 2-letter code" in message
        assert "line 12: state: 'California'" in message

    def test_the_allowed_fraction_in_the_message(self) -> None:
        data = _csv(HEADER, *_good_rows(38), "AAA111,XXX", "AAA112,XXX")

        with pytest.raises(MalformedFeed, match=r"^2 of 40 rows are bad \(at most 2\.5% may be\)"):
            parse_csv(data, now=NOW, max_bad_fraction=0.025)

    def test_the_message_lists_only_the_first_errors(self) -> None:
        data = _csv(HEADER, *[f"BAD{index},California" for index in range(50)])

        with pytest.raises(MalformedFeed, match=r"^50 of 50 rows are bad") as caught:
            parse_csv(data, now=NOW)

        assert "line 6:" in str(caught.value)
        assert "line 7:" not in str(caught.value)
        assert str(caught.value).endswith(", ...")

    def test_a_bad_fraction_out_of_range_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="max_bad_fraction"):
            parse_csv(_csv("plate,state", "AAA111,CA"), max_bad_fraction=1.5)


def _partner(*items: object, **extra: object) -> bytes:
    return json.dumps({"items": list(items), **extra}).encode()


def _item(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "plate": "7abc-123",
        "state": "ca",
        "kind": "stolen_vehicle",
        "reason": "Stolen vehicle",
        "expires_at": "2026-06-30",
        "refreshed_at": "2026-03-10T11:00:00Z",
    }
    item.update(changes)
    return item


class TestPartnerFeed:
    def test_a_good_feed(self) -> None:
        data = _partner(_item(), _item(plate="XYZ9", expires_at=None), next_cursor="abc")

        feed = parse_partner_feed(data, now=NOW)

        assert feed.errors == []
        first, second = feed.entries
        assert first == FeedEntry(
            line=1,
            plate="7ABC123",
            state="CA",
            plate_type=None,
            vehicle_make=None,
            vehicle_model=None,
            vehicle_color=None,
            vehicle_year=None,
            reason="Stolen vehicle",
            reason_code=None,
            ori=None,
            ncic_number=None,
            entered_on=None,
            expires_at=datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC),
            kind="stolen_vehicle",
            refreshed_at=datetime(2026, 3, 10, 11, 0, tzinfo=UTC),
        )
        assert (second.line, second.plate, second.expires_at) == (2, "XYZ9", None)

    def test_refreshed_at_is_converted_to_utc(self) -> None:
        data = _partner(_item(refreshed_at="2026-03-10T04:00:00-07:00"))

        entry = parse_partner_feed(data, now=NOW).entries[0]

        assert entry.refreshed_at == datetime(2026, 3, 10, 11, 0, tzinfo=UTC)
        assert entry.refreshed_at.tzinfo is UTC

    def test_an_empty_list_is_a_valid_answer(self) -> None:
        assert parse_partner_feed(_partner(), now=NOW) == ParsedFeed(entries=[], errors=[])

    def test_a_little_clock_skew_is_tolerated(self) -> None:
        ahead = (NOW + timedelta(minutes=4)).isoformat()

        assert parse_partner_feed(_partner(_item(refreshed_at=ahead)), now=NOW).errors == []

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"plate": None}, "plate: missing"),
            ({"plate": "AB*1"}, "plate: 'AB*1' has a wildcard (* or ?), which a hotlist may not hold"),
            ({"state": "Ontario"}, "state: 'Ontario' is not a 2-letter code"),
            ({"expires_at": "soon"}, "expires_at: 'soon' is not a date"),
            ({"refreshed_at": None}, "refreshed_at: missing"),
            ({"refreshed_at": "2026-03-10"}, "refreshed_at: '2026-03-10' is not an ISO date-time"),
            (
                {"refreshed_at": "2026-03-10T11:00:00"},
                "refreshed_at: '2026-03-10T11:00:00' has no UTC offset",
            ),
            (
                {"refreshed_at": "2026-03-10T12:06:00Z"},
                "refreshed_at: '2026-03-10T12:06:00Z' is in the future",
            ),
            (
                {"plate": 123456, "kind": ["x"]},
                "plate: expected a string, got a number; kind: expected a string",
            ),
        ],
    )
    def test_a_bad_item(self, changes: dict[str, object], message: str) -> None:
        items = [_item(plate=f"GOOD{index}") for index in range(10)]
        items.insert(3, _item(**changes))

        feed = parse_partner_feed(_partner(*items), now=NOW)

        assert len(feed.entries) == 10
        assert [error.line for error in feed.errors] == [4]
        assert feed.errors[0].error.startswith(message)

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"", "not JSON"),
            (b"<html>502 Bad Gateway</html>", "not JSON"),
            (b'{"items": [', "not JSON"),
            (b"\xff\xfe\x00garbage", "not JSON"),
            (b"[]", "a JSON array, not an object"),
            (b'{"next_cursor": null}', "no 'items' list"),
            (b'{"items": {"plate": "A"}}', "no 'items' list"),
            (b'{"items": [{"plate": "AAA111"}, "BBB222"]}', "item 2 is a JSON string, not an object"),
        ],
    )
    def test_refused(self, data: bytes, message: str) -> None:
        with pytest.raises(MalformedFeed, match=message):
            parse_partner_feed(data, now=NOW)

    def test_too_many_bad_items(self) -> None:
        data = _partner(_item(), _item(state="Ontario"), _item(state="Quebec"))

        with pytest.raises(MalformedFeed, match=r"^2 of 3 rows are bad .* line 2: state: 'Ontario'"):
            parse_partner_feed(data, now=NOW)


class TestParseFeed:
    def test_dispatches_on_the_format(self) -> None:
        assert FEED_FORMATS == ("csv", "partner_json")
        csv_feed = parse_feed(_csv("plate,state", "AAA111,CA"), "csv", now=NOW)
        json_feed = parse_feed(_partner(_item()), "partner_json", now=NOW)

        assert [entry.plate for entry in csv_feed.entries] == ["AAA111"]
        assert [entry.plate for entry in json_feed.entries] == ["7ABC123"]

    def test_an_unknown_format(self) -> None:
        with pytest.raises(ValueError, match="unknown feed format 'xml'") as caught:
            parse_feed(b"<x/>", "xml")

        assert not isinstance(caught.value, MalformedFeed)

    def test_now_defaults_to_the_clock_and_may_be_naive_or_any_zone(self) -> None:
        far = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        with pytest.raises(MalformedFeed, match="is in the future"):
            parse_partner_feed(_partner(_item(refreshed_at=far)))

        eastern = NOW.astimezone(timezone(timedelta(hours=-5)))
        naive = NOW.replace(tzinfo=None)
        for now in (eastern, naive):
            assert parse_partner_feed(_partner(_item()), now=now).errors == []

    def test_row_errors_and_entries_are_values(self) -> None:
        assert RowError(3, "state: missing") == RowError(line=3, error="state: missing")
