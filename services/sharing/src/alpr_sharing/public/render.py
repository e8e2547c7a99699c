"""The public pages as HTML, drawn by plain functions: no script, inline CSS that reads on a
phone, charts as inline SVG with a title and description (and their numbers as a table too).
Every text from the record or the database goes through ``html.escape``."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from alpr_common import AgencyPolicy, AgencyPolicyVersion, AuditCadence, WarrantTier

from .pages import AgencyPage, Chart, DateFigure, Figure, ListedAgency, Row

# What a browser may load for these pages: nothing but their own inline style.
HEADERS = {
    # img-src data: only for the empty icon below, without which a browser asks for
    # /favicon.ico and logs the 404 as an error.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:",
    "X-Content-Type-Options": "nosniff",
}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5;color:#1a1a1a;
background:#fff;margin:0 auto;max-width:48rem;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.3rem;margin-top:2rem;border-bottom:1px solid #bbb}
h3{font-size:1.1rem;margin-bottom:.25rem}h4{font-size:1rem;margin-bottom:.25rem}
a{color:#0645ad}.muted{color:#555}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
svg{display:block;width:100%;height:auto;max-width:40rem}
.figure{font-size:1.4rem;font-weight:600}
.scroll{overflow-x:auto}
@media (max-width:30rem){body{padding:.5rem}th,td{padding:.2rem .3rem}}
"""

# The bar charts' geometry, in SVG user units (the chart scales to the page's width).
_WIDTH, _LABEL_W, _BAR_W, _ROW_H = 600, 230, 300, 30
_LABEL_CHARS = 30
_LEGEND_H, _LEGEND_COLUMNS = 24, 2
# The parts of a stacked bar, in order: each at least 3:1 against white (WCAG 1.4.11), and
# split from its neighbour by a white line.
_PALETTE = (
    "#2a6bb5", "#b35900", "#2e7d32", "#7b3fa0", "#b0263a", "#00758f",
    "#5d4037", "#ad1457", "#546e7a", "#827717", "#37474f",
)  # fmt: skip
_CADENCES = {
    AuditCadence.QUARTERLY: "Quarterly",
    AuditCadence.SEMI_ANNUAL: "Every six months",
    AuditCadence.SEMI_ANNUAL_TWO_YEARS_THEN_ANNUAL: "Every six months for two years, then yearly",
    AuditCadence.ANNUAL: "Yearly",
}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _date(value: datetime) -> str:
    at = value.astimezone(UTC).replace(microsecond=0)
    return f'<time datetime="{_e(at.isoformat())}">{at.day} {at:%B %Y}</time>'


def _stamp(value: datetime) -> str:
    at = value.astimezone(UTC).replace(microsecond=0)
    return f'<time datetime="{_e(at.isoformat())}">{at.day} {at:%B %Y, %H:%M} UTC</time>'


def _words(value: str) -> str:
    return value.replace("_", " ")


def _text(value: str) -> str:
    """Free text as paragraphs (a blank line between them; a single newline kept)."""
    blocks = [b.strip() for b in value.replace("\r\n", "\n").split("\n\n") if b.strip()]
    if not blocks:
        return '<p class="muted">Not stated.</p>'
    return "\n".join("<p>" + "<br>\n".join(_e(line) for line in b.split("\n")) + "</p>" for b in blocks)


def _list(items: list[str], none: str) -> str:
    if not items:
        return f'<p class="muted">{_e(none)}</p>'
    return "<ul>\n" + "\n".join(f"<li>{_e(i)}</li>" for i in items) + "\n</ul>"


def document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def agency_list(listed: list[ListedAgency]) -> str:
    """``/public/agencies``: each agency that publishes a policy, with a link to its page."""
    if listed:
        rows = "\n".join(
            f'<tr><th scope="row"><a href="/public/agencies/{_e(a.ori)}">{_e(a.name)}</a></th>'
            f"<td>{_e(a.ori)}</td><td>{a.version}</td>"
            f"<td>{'In force since' if a.in_force else 'Published for comment; in force from'} "
            f"{_date(a.since)}</td></tr>"
            for a in listed
        )
        content = (
            "<table>\n<caption>Agencies and their published policy</caption>\n<thead><tr>"
            '<th scope="col">Agency</th><th scope="col">ORI</th><th scope="col">Policy version</th>'
            f'<th scope="col">Status</th></tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>'
        )
    else:
        content = '<p class="muted">No agency has published a policy yet.</p>'
    body = (
        "<header>\n<h1>ALPR usage and privacy policies</h1>\n</header>\n<main>\n"
        "<p>Each agency that uses this automated license plate recognition system publishes its "
        "own usage and privacy policy (California Civil Code 1798.90.51) with aggregate figures. "
        "No plate, person or place is ever shown here.</p>\n"
        f"{content}\n</main>"
    )
    return document("ALPR usage and privacy policies", body)


def bar_chart(chart: Chart) -> str:
    """An SVG bar chart of the chart's first value, named for assistive technology by its
    ``<title>`` and summarised by its ``<desc>``; the same numbers follow as a table."""
    rows = chart.rows or []
    top = max((r.values[0] for r in rows), default=0) or 1
    height = len(rows) * _ROW_H + 10
    parts = _svg_open(chart, height, "; ".join(f"{r.label}: {r.values[0]}" for r in rows))
    for i, row in enumerate(rows):
        y = 5 + i * _ROW_H
        value = row.values[0]
        width = max(round(_BAR_W * value / top), 1 if value else 0)
        parts += [
            _row_label(y, row.label),
            f'<rect x="{_LABEL_W}" y="{y + 4}" width="{width}" height="{_ROW_H - 10}" fill="#2a6bb5"/>',
            f'<text x="{_LABEL_W + width + 6}" y="{y + 19}" font-size="14" fill="#1a1a1a">{value}</text>',
        ]
    parts.append("</svg>")
    return "\n".join(parts)


def _svg_open(chart: Chart, height: int, summary: str) -> list[str]:
    """A chart's ``<svg>`` opening: named for assistive technology by its ``<title>``, summarised
    by its ``<desc>``."""
    tid, did = f"chart-{chart.key}-title", f"chart-{chart.key}-desc"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{tid} {did}" '
        f'viewBox="0 0 {_WIDTH} {height}" width="{_WIDTH}" height="{height}">',
        f'<title id="{tid}">{_e(chart.title)}</title>',
        f'<desc id="{did}">{_e(chart.headers[1])}: {_e(summary)}</desc>',
    ]


def _row_label(y: int, label: str) -> str:
    """A bar's label, right-aligned before it (cut with an ellipsis when long)."""
    return (
        f'<text x="{_LABEL_W - 8}" y="{y + 19}" text-anchor="end" font-size="14" '
        f'fill="#1a1a1a">{_e(_label(label))}</text>'
    )


def _label(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "\u2026"


def stacked_chart(chart: Chart) -> str:
    """A bar per row split into its parts (``headers[2:]``, one colour each, named by a legend
    under the bars), the row's total at its end; named by its ``<title>`` and summarised, parts
    included, by its ``<desc>``. The same numbers follow as a table."""
    rows = chart.rows or []
    parts_of = chart.headers[2:]
    top = max((r.values[0] for r in rows), default=0) or 1
    bars_h = len(rows) * _ROW_H + 10
    legend_rows = -(-len(parts_of) // _LEGEND_COLUMNS)
    height = bars_h + legend_rows * _LEGEND_H + 10

    def said(row: Row) -> str:
        named = [f"{_words(n).lower()} {v}" for n, v in zip(parts_of, row.values[1:], strict=False) if v]
        return f"{row.label}: {row.values[0]}" + (f" ({', '.join(named)})" if named else "")

    out = _svg_open(chart, height, "; ".join(said(r) for r in rows))
    for i, row in enumerate(rows):
        y = 5 + i * _ROW_H
        out.append(_row_label(y, row.label))
        x = float(_LABEL_W)
        for j, value in enumerate(row.values[1:]):
            if not value:
                continue
            width = max(_BAR_W * value / top, 1.0)
            out.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{width:.1f}" height="{_ROW_H - 10}" '
                f'fill="{_PALETTE[j % len(_PALETTE)]}" stroke="#fff" stroke-width="1"/>'
            )
            x += width
        out.append(f'<text x="{x + 6:.1f}" y="{y + 19}" font-size="14" fill="#1a1a1a">{row.values[0]}</text>')
    column_w = _WIDTH // _LEGEND_COLUMNS
    for j, name in enumerate(parts_of):
        lx = 10 + (j % _LEGEND_COLUMNS) * column_w
        ly = bars_h + 5 + (j // _LEGEND_COLUMNS) * _LEGEND_H
        out += [
            f'<rect x="{lx}" y="{ly + 3}" width="14" height="14" fill="{_PALETTE[j % len(_PALETTE)]}"/>',
            f'<text x="{lx + 20}" y="{ly + 15}" font-size="14" fill="#1a1a1a">{_e(name)}</text>',
        ]
    out.append("</svg>")
    return "\n".join(out)


def _cells(values: tuple[int, ...]) -> str:
    return "".join(f'<td class="n">{v}</td>' for v in values)


def _table(chart: Chart) -> str:
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in chart.headers)
    rows = chart.rows or []
    body = "\n".join(f'<tr><th scope="row">{_e(r.label)}</th>{_cells(r.values)}</tr>' for r in rows)
    return (
        f"<table>\n<caption>{_e(chart.title)}</caption>\n<thead><tr>{head}</tr></thead>\n"
        f"<tbody>\n{body}\n</tbody>\n</table>"
    )


def _chart_section(chart: Chart) -> str:
    heading = f'<h3 id="{_e(chart.key)}">{_e(chart.title)}</h3>'
    if chart.rows is None:
        return f'{heading}\n<p class="muted">Not available at the moment.</p>'
    if not chart.rows:
        return f'{heading}\n<p class="muted">{_e(chart.empty)}</p>'
    if chart.stacked:  # its table may be wider than a phone: it scrolls, not the page
        return f'{heading}\n{stacked_chart(chart)}\n<div class="scroll">\n{_table(chart)}\n</div>'
    return f"{heading}\n{bar_chart(chart)}\n{_table(chart)}"


def _figure(figure: Figure | DateFigure) -> str:
    if isinstance(figure, DateFigure):
        if not figure.available:
            shown = '<p class="muted">Not available at the moment.</p>'
        elif figure.value is None:
            shown = f'<p class="muted">{_e(figure.empty)}</p>'
        else:
            shown = f'<p class="figure">{_date(figure.value)}</p>'
        return f"<h3>{_e(figure.title)}</h3>\n{shown}"
    value = (
        f'<p class="figure">{figure.value:,}</p>'
        if figure.value is not None
        else '<p class="muted">Not available at the moment.</p>'
    )
    return f"<h3>{_e(figure.title)}</h3>\n{value}"


def _tier(tier: WarrantTier) -> str:
    unit = {"window_longer_than_days": " days", "all_cameras_longer_than_hours": " hours"}
    what = _words(tier.condition.value)
    if tier.threshold is not None:
        what = what.replace("than days", "than").replace("than hours", "than")
        what += f" {tier.threshold}{unit.get(tier.condition.value, '')}"
    return f"{what.capitalize()}: needs {_words(tier.requires.value)}"


def _rules(policy: AgencyPolicy) -> str:
    """The rules the platform itself applies under this version (what it enforces, not prose)."""
    s, r, h, a = policy.search, policy.retention, policy.sharing, policy.audits
    yes = {True: "Yes", False: "No"}
    hits = "Indefinitely" if r.hit_days is None else f"{r.hit_days} days"
    rows = [
        ("Detections kept", f"{r.detection_days} days (this agency's bounds: {r.floor_days} to "
         f"{r.ceiling_days} days)"),
        ("Alerts not confirmed kept", f"{r.alert_days} days"),
        ("Confirmed hits kept", hits),
        ("Longest time window of one search", f"{s.max_search_days} days"),
        ("Every search needs a case number", yes[s.case_number_required]),
        ("Purposes a search may have", ", ".join(_words(p.value) for p in s.allowed_purposes)),
        ("Searches that need more", "; ".join(_tier(t) for t in policy.tiers) or "None"),
        ("Shared with agencies of other states", yes[h.out_of_state_allowed]),
        ("Shared with federal agencies", yes[h.federal_allowed]),
        ("Agencies never shared with", ", ".join(h.denied_agencies) or "None listed"),
        ("Emergency (exigent) requests accepted", yes[h.exigent_accepted]),
        ("Sample audits", f"{_CADENCES[a.cadence]}, by "
         f"{'a separate unit' if a.auditor.value == 'separate_unit' else 'the ALPR administrator'}, "
         f"at least {a.sample_size} searches each"),
    ]  # fmt: skip
    body = "\n".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in rows)
    return (
        "<h3>Rules the system enforces</h3>\n"
        "<table>\n<caption>Rules the system enforces under this version</caption>\n"
        '<thead><tr><th scope="col">Rule</th><th scope="col">Setting</th></tr></thead>\n'
        f"<tbody>\n{body}\n</tbody>\n</table>"
    )


def _version_line(page: AgencyPage) -> str:
    v = page.shown
    start = v.in_force_from or v.effective_from
    when = _date(start) if start else "a date not set"
    if page.in_force:
        line = f"<p>Version {v.version}, in force since {when}.</p>"
    else:
        line = (
            f"<p><strong>Not yet in force.</strong> Version {v.version} is published for public "
            f"comment and takes force on {when}.</p>"
        )
    if page.upcoming is not None:
        up = page.upcoming
        upcoming_start = up.in_force_from or up.effective_from
        up_when = _date(upcoming_start) if upcoming_start else "a date not set"
        line += f"\n<p>Version {up.version} is published for comment and takes force on {up_when}.</p>"
    return line


def _policy(version: AgencyPolicyVersion) -> str:
    p = version.policy.published
    custodian = ", ".join(x for x in (p.custodian_name.strip(), p.custodian_title.strip()) if x)
    return "\n".join(
        [
            "<h3>Authorized purposes</h3>",
            _text(p.authorized_purposes),
            "<h3>Authorized users</h3>",
            "<h4>Job titles of the agency's users</h4>",
            _list(p.authorized_job_titles, "Not stated."),
            "<h4>Job titles of contractors' users</h4>",
            _list(p.contractor_job_titles, "No contractor has access."),
            "<h3>Custodian of the system</h3>",
            f"<p>{_e(custodian)}</p>" if custodian else '<p class="muted">Not stated.</p>',
            "<h3>How use is monitored</h3>",
            _text(p.monitoring),
            "<h3>Sharing with other agencies</h3>",
            _text(p.sharing),
            "<h3>Accuracy of the data</h3>",
            _text(p.accuracy),
            "<h3>Retention period</h3>",
            _text(p.retention),
            "<h3>Other provisions</h3>",
            _text(p.text),
        ]
    )


def agency_page(page: AgencyPage) -> str:
    """``/public/agencies/{ori}``: the published policy, the rules it sets, and figures."""
    body = "\n".join(
        [
            '<header>\n<p><a href="/public/agencies">All agencies</a></p>',
            f"<h1>{_e(page.name)}</h1>",
            f"<p>ALPR usage and privacy policy (California Civil Code 1798.90.51). ORI {_e(page.ori)}.</p>",
            "</header>\n<main>",
            '<section aria-labelledby="policy">',
            '<h2 id="policy">Usage and privacy policy</h2>',
            _version_line(page),
            _policy(page.shown),
            _rules(page.shown.policy),
            "</section>",
            '<section aria-labelledby="figures">',
            '<h2 id="figures">Figures</h2>',
            f"<p>Aggregate counts only, as of {_stamp(page.figures.counted_at)}. No plate, person or place "
            "is ever shown.</p>",
            *(_figure(f) for f in page.figures.figures),
            *(_chart_section(c) for c in page.figures.charts),
            "</section>\n</main>",
        ]
    )
    return document(f"ALPR policy of {page.name}", body)
