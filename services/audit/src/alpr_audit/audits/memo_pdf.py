"""The audit memo (R35) as a PDF: plain text in the PDF's built-in Courier fonts (no font is
embedded, nothing to install), wrapped to the page and paginated, every page numbered. The
PDF 1.4 subset written here is small: a catalog, a page tree, two standard fonts, and one
uncompressed content stream per page, with the cross-reference table readers need."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

from .schemas import AuditMemo

_PAGE_W, _PAGE_H, _MARGIN = 612, 792, 54  # US Letter, in points
_SIZE, _LEADING = 9.5, 12
_COLUMNS = int((_PAGE_W - 2 * _MARGIN) / (_SIZE * 0.6))  # Courier: every glyph is 0.6 em wide
_ROWS = int((_PAGE_H - 2 * _MARGIN) / _LEADING) - 2  # two rows kept for the page number

Line = tuple[str, str]  # (font: "R" regular or "B" bold, text)


def _when(value: object) -> str:
    return "-" if value is None else str(value).replace("+00:00", "Z")


def _who(actor: dict[str, object] | None) -> str:
    if not actor:
        return "-"
    badge = f", badge {actor['badge']}" if actor.get("badge") else ""
    return f"{actor.get('name') or actor.get('sub')} ({actor.get('sub')}{badge})"


def memo_lines(memo: AuditMemo) -> Iterator[Line]:
    """The memo's text, in reading order."""
    yield "B", "MEMORANDUM - ALPR SAMPLE AUDIT"
    yield "R", ""
    yield "R", f"To:       {memo.to}"
    yield "R", f"Agency:   {memo.agency}"
    yield "R", f"Subject:  {memo.subject}"
    yield "R", f"Audit:    {memo.audit_id}"
    yield "R", ""
    yield "B", "Who audited"
    yield "R", f"Started by: {_who(memo.started_by)}"
    for auditor in memo.auditors:
        yield "R", f"Findings by: {_who(auditor)}"
    yield "R", f"Auditor under the agency's policy: {memo.auditor_rule.replace('_', ' ')}"
    yield "R", ""
    yield "B", "Dates"
    yield "R", f"Period sampled: {_when(memo.period_from)} to {_when(memo.period_to)}"
    yield "R", f"Started: {_when(memo.created_at)}   Due: {_when(memo.due_at)}"
    yield "R", f"Completed: {_when(memo.completed_at)}   Cadence: {memo.cadence or 'started by hand'}"
    yield "R", ""
    yield "B", "Sample"
    yield (
        "R",
        (
            f"{memo.sample.drawn} of {memo.sample.available} detection-browsing accesses drawn at random "
            f"({memo.sample.requested} requested)."
        ),
    )
    s = memo.summary
    yield "R", f"Findings: {s.compliant} compliant, {s.non_compliant} non-compliant, of {s.total}."
    yield "R", ""
    yield "B", f"Data errors to correct ({len(memo.data_errors)})"
    if not memo.data_errors:
        yield "R", "None found."
    for err in memo.data_errors:
        yield (
            "R",
            (
                f"- #{err.sequence} {err.occurred_at} {err.action or ''} by {err.actor.name} "
                f"case {err.case_number or '-'}: {err.correction}"
            ),
        )
    yield "R", ""
    yield "B", "Findings"
    for item in memo.findings:
        finding = str(item.finding).replace("_", "-") if item.finding else "none"
        yield (
            "R",
            (
                f"- #{item.sequence} {item.occurred_at} {item.action or ''} by {item.actor.name}; "
                f"purpose {item.purpose or '-'}; case {item.case_number or '-'}: {finding}"
                + (f". {item.note}" if item.note else "")
            ),
        )
    if memo.retained_beyond_six_months is not None:
        yield "R", ""
        yield "B", "Data kept past six months"
        retained = memo.retained_beyond_six_months
        yield "R", f"count: {retained.count}"
        yield "R", f"why: {retained.why}"
    yield "R", ""
    yield "R", f"Generated {_when(memo.generated_at)}."


def _wrapped(lines: Iterator[Line]) -> list[Line]:
    out: list[Line] = []
    for font, text in lines:
        parts = textwrap.wrap(text, _COLUMNS, subsequent_indent="  ", break_long_words=True) or [""]
        out.extend((font, part) for part in parts)
    return out


def _literal(text: str) -> bytes:
    # WinAnsi (cp1252) is the standard fonts' encoding; what it lacks becomes "?". Control
    # characters go; backslash and parentheses are escaped inside a PDF string.
    clean = "".join(c if c >= " " else " " for c in text)
    raw = clean.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _content(rows: list[Line], number: int, pages: int) -> bytes:
    ops = [f"BT {_LEADING} TL {_MARGIN} {_PAGE_H - _MARGIN} Td".encode()]
    font = ""
    for which, text in rows:
        if which != font:
            ops.append(f"/F{which} {_SIZE} Tf".encode())
            font = which
        ops.append(_literal(text) + b" Tj T*")
    ops.append(f"ET BT /FR 8 Tf {_MARGIN} {_MARGIN - 12} Td".encode())
    ops.append(_literal(f"Page {number} of {pages}") + b" Tj ET")
    return b"\n".join(ops)


def render_pdf(memo: AuditMemo) -> bytes:
    """The memo as a PDF document."""
    rows = _wrapped(memo_lines(memo))
    chunks = [rows[i : i + _ROWS] for i in range(0, len(rows), _ROWS)] or [[]]
    n = len(chunks)
    first_page = 6  # 1 catalog, 2 pages, 3 and 4 fonts, 5 info; then page and content pairs
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(f"{first_page + 2 * i} 0 R".encode() for i in range(n))
        + f"] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title " + _literal(memo.subject) + b" /Producer (alpr-audit) >>",
    ]
    for i, chunk in enumerate(chunks):
        stream = _content(chunk, i + 1, n)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_PAGE_W} {_PAGE_H}] "
            f"/Resources << /Font << /FR 3 0 R /FB 4 0 R >> >> "
            f"/Contents {first_page + 2 * i + 1} 0 R >>".encode()
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 5 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
