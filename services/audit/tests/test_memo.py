"""The memo an audit ends with (issue 17, item 4; R35): findings, data errors to correct, who
audited, the sample and the dates, as JSON and as PDF; reading it is a view of the ledger."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from audit_support import EventFactory

from alpr_audit.audits.memo_pdf import render_pdf
from alpr_audit.audits.schemas import AuditMemo, AuditProgress, MemoSample
from alpr_common import RetainedBeyond
from alpr_devstack.testing import Infra, bearer, problem


def _ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def _check_pdf(body: bytes) -> str:
    """A well-formed PDF: header, every object where the cross-reference table says, the table
    where startxref says; answers the text shown (string operands of Tj)."""
    assert body.startswith(b"%PDF-1.")
    assert body.rstrip().endswith(b"%%EOF")
    start = int(re.search(rb"startxref\n(\d+)\n", body).group(1))  # type: ignore[union-attr]
    assert body[start:].startswith(b"xref\n")
    header = re.match(rb"xref\n0 (\d+)\n", body[start:])
    assert header is not None
    count = int(header.group(1))
    entries = body[start + header.end() :].split(b"\n")[:count]
    for number, entry in enumerate(entries[1:], 1):
        offset = int(entry[:10])
        assert body[offset:].startswith(f"{number} 0 obj".encode()), number
    for stream in re.finditer(rb"<< /Length (\d+) >>\nstream\n", body):
        length = int(stream.group(1))
        assert body[stream.end() + length :].startswith(b"\nendstream")
    shown = re.findall(rb"\(((?:[^()\\]|\\.)*)\) Tj", body)
    return "\n".join(s.replace(b"\\(", b"(").replace(b"\\)", b")").decode("cp1252") for s in shown)


async def _audit_with_findings(
    audit: httpx.AsyncClient, service: dict[str, str], auditor: dict[str, str], event: EventFactory
) -> tuple[str, list[int]]:
    events = [event(case_number=f"2026-{i:06d}", occurred_at=_ago(i + 1)) for i in range(12)]
    assert (await audit.post("/v1/events", json={"events": events}, headers=service)).status_code == 201
    made = (await audit.post("/v1/audits", json={"size": 10}, headers=auditor)).json()
    return made["id"], [i["sequence"] for i in made["items"]]


class TestMemo:
    async def test_memo_lists_findings_errors_auditors_R35(
        self,
        audit: httpx.AsyncClient,
        service_headers: dict[str, str],
        auditor_headers: dict[str, str],
        event: EventFactory,
        infra: Infra,
    ) -> None:
        """R35 (Vallejo 462.7, Montclair 462.6(e)): the memo to the chief names who audited, the
        sample and dates, each finding, and the data errors found so they are corrected."""
        audit_id, sequences = await _audit_with_findings(audit, service_headers, auditor_headers, event)
        assert (await audit.get(f"/v1/audits/{audit_id}/memo")).status_code == 401
        early = await audit.get(f"/v1/audits/{audit_id}/memo", headers=auditor_headers)
        assert early.status_code == 409
        assert problem(early)["type"] == "urn:alpr:problem:conflict"
        assert "10 of 10" in problem(early)["detail"]

        second = bearer(infra.mint(sub="aud-2", name="Bea (Second) Auditor", roles=["auditor"]))
        for n, seq in enumerate(sequences):
            body: dict[str, Any] = {"sequence": seq, "finding": "compliant"}
            if n == 0:
                body = {
                    "sequence": seq,
                    "finding": "non_compliant",
                    "note": "no case number on file",
                    "correction": "case number should read 2026-009999 (misread), fix in RMS",
                }
            resp = await audit.post(
                f"/v1/audits/{audit_id}/findings", headers=second if n % 2 else auditor_headers, json=body
            )
            assert resp.status_code == 200, resp.text

        resp = await audit.get(f"/v1/audits/{audit_id}/memo", headers=auditor_headers)
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith("application/json")
        memo = resp.json()
        assert memo["to"] == "Chief of Police"
        assert {a["sub"] for a in memo["auditors"]} == {"aud-1", "aud-2"}
        assert memo["started_by"]["sub"] == "aud-1"
        assert memo["auditor_rule"] == "separate_unit"  # sharing is not here: strictest default
        assert memo["sample"] == {"requested": 10, "available": 12, "drawn": 10}
        assert memo["summary"] == {"total": 10, "recorded": 10, "compliant": 9, "non_compliant": 1}
        assert [f["sequence"] for f in memo["findings"]] == sequences
        assert memo["completed_at"] is not None
        [error] = memo["data_errors"]
        assert error["sequence"] == sequences[0]
        assert error["correction"].startswith("case number should read")
        assert error["noted_by"]["sub"] == "aud-1"

        for how in ({"params": {"format": "pdf"}}, {"headers": {"Accept": "application/pdf"}}):
            headers = {**auditor_headers, **how.get("headers", {})}
            pdf = await audit.get(f"/v1/audits/{audit_id}/memo", params=how.get("params"), headers=headers)
            assert pdf.status_code == 200, pdf.text
            assert pdf.headers["content-type"] == "application/pdf"
            assert "attachment" in pdf.headers["content-disposition"]
            text = _check_pdf(pdf.content)
            assert "MEMORANDUM - ALPR SAMPLE AUDIT" in text
            assert "Data errors to correct (1)" in text
            assert "2026-009999" in text
            assert "Bea (Second) Auditor (aud-2)" in text
            assert "9 compliant, 1 non-compliant" in text
        # ?format=json wins over the Accept header.
        forced = await audit.get(
            f"/v1/audits/{audit_id}/memo",
            params={"format": "json"},
            headers={**auditor_headers, "Accept": "application/pdf"},
        )
        assert forced.json()["audit_id"] == audit_id

        # The memo names ledger records: each reading is itself on the ledger.
        queried = (
            await audit.get("/v1/events", params={"action": "ledger.queried"}, headers=auditor_headers)
        ).json()["items"]
        memos = [e for e in queried if (e.get("data") or {}).get("memo")]
        assert sorted(e["data"]["format"] for e in memos) == ["json", "json", "pdf", "pdf"]
        assert all(e["targets"] == [audit_id] for e in memos)

        # Another agency's auditor: not found, exactly like a missing audit (R27).
        other = bearer(infra.mint(sub="aud-9", agency="CA0010900", roles=["auditor"]))
        hidden = await audit.get(f"/v1/audits/{audit_id}/memo", headers=other)
        missing = await audit.get("/v1/audits/00000000-0000-0000-0000-000000000000/memo", headers=other)
        assert hidden.status_code == missing.status_code == 404


def test_long_memo_wraps_and_paginates_R35() -> None:
    """A memo longer than a page goes on across numbered pages; text the PDF fonts cannot show
    and the characters PDF strings reserve are written safely."""
    now = datetime.now(UTC)
    finding = {
        "sequence": 7,
        "occurred_at": "2026-11-01T10:00:00Z",
        "action": "search.executed",
        "actor": {"sub": "inv-7", "name": "Ivan (I) \\ Investigator", "agency": "CA0019400", "roles": []},
        "purpose": "stolen_vehicle",
        "case_number": "2026-1",
        "reason": None,
        "data": {},
        "finding": "compliant",
        "note": "ok " * 80 + "\u2713 \u00e9",
    }
    memo = AuditMemo(
        audit_id="00000000-0000-0000-0000-000000000001",
        agency="CA0019400",
        subject="ALPR sample audit",
        started_by={"sub": "aud-1", "name": "Ann"},
        auditors=[{"sub": "aud-1", "name": "Ann", "badge": "1234"}],
        auditor_rule="separate_unit",
        created_at=now,
        period_from=now,
        period_to=now,
        cadence="quarterly",
        due_at=now,
        completed_at=now,
        sample=MemoSample(requested=60, available=60, drawn=60),
        summary=AuditProgress(total=60, recorded=60, compliant=60, non_compliant=0),
        findings=[finding] * 60,
        data_errors=[],
        retained_beyond_six_months=RetainedBeyond(count=3, why="under legal hold (R17)"),
        generated_at=now,
    )
    body = render_pdf(memo)
    text = _check_pdf(body)
    pages = int(re.search(rb"/Count (\d+)", body).group(1))  # type: ignore[union-attr]
    assert pages > 2
    assert f"Page {pages} of {pages}" in text
    assert "Ann (aud-1, badge 1234)" in text
    assert "Ivan (I) \\\\ Investigator" in text  # backslash kept escaped in the string
    assert "? \u00e9" in text  # no WinAnsi glyph for the check mark
    assert max(len(line) for line in text.splitlines()) <= 90
    assert "count: 3" in text
    assert "why: under legal hold (R17)" in text
