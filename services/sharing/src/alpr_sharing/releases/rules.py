"""The filing rules of a request, as a plain function: who may receive data at all (R24, R26,
R29), for what (R7), whether an exigent one is taken (R25), and under which agreement (R28). The
first rule broken is the refusal. Jurisdiction, deny-list and exigent requests are the host
agency's own, from its policy in force (issue 17)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alpr_common import Purpose, SharingPolicy

from ..agencies.repository import AgencyRow
from ..mous.repository import MouRow
from ..settings import Settings
from ..vocabulary import AgencyKind, Refusal
from .schemas import RequestCreate


@dataclass(frozen=True)
class Verdict:
    mou: MouRow | None  # the MOU the request is filed under
    refusal: Refusal | None = None
    detail: str = ""


def judge(
    settings: Settings,
    host: SharingPolicy,
    partner: AgencyRow,
    body: RequestCreate,
    mous_in_force: Sequence[MouRow],
) -> Verdict:
    """``host`` is the sharing part of the host agency's policy in force; ``partner`` the
    requesting agency's record; ``mous_in_force`` its MOUs in force with the host, newest first."""
    if partner.kind == AgencyKind.OTHER:
        return Verdict(None, Refusal.NOT_LAW_ENFORCEMENT, settings.records_release_text)
    if partner.ori in host.denied_agencies:
        detail = "The host agency's policy does not release data to this agency (R29)."
        return Verdict(None, Refusal.DENIED_AGENCY, detail)
    if partner.federal and not host.federal_allowed:
        return Verdict(None, Refusal.FEDERAL_AGENCY, "Data is not released to federal agencies (R29).")
    if partner.state != host.host_state and not host.out_of_state_allowed:
        return Verdict(
            None,
            Refusal.OUT_OF_STATE,
            f"Data is released only to public agencies of {host.host_state} (R29).",
        )
    if Purpose(body.purpose).prohibited:
        return Verdict(
            None, Refusal.PROHIBITED_PURPOSE, f"The purpose {body.purpose} is prohibited (R7, R29)."
        )
    if body.exigent and not host.exigent_accepted:
        detail = (
            "The host agency's policy does not accept exigent requests (R25); "
            "file it as a regular request for a commander to decide."
        )
        return Verdict(None, Refusal.EXIGENT_NOT_ACCEPTED, detail)
    if not mous_in_force:
        return Verdict(None, Refusal.NO_MOU, "No MOU with this agency is in force (R28).")
    listed = [m for m in mous_in_force if body.purpose in m.purposes]
    if not listed:
        return Verdict(
            None, Refusal.SCOPE_BEYOND_MOU, f"No MOU in force permits the purpose {body.purpose} (R28)."
        )
    days = (body.scope.to - body.scope.from_).total_seconds() / 86400
    if days > settings.max_scope_days:
        return Verdict(
            listed[0],
            Refusal.SCOPE_BEYOND_MOU,
            f"The time window is {days:.0f} days; at most {settings.max_scope_days} per request.",
        )
    literals = sum(c.isalnum() for c in body.scope.plate)
    if literals < 3:
        return Verdict(listed[0], Refusal.SCOPE_BEYOND_MOU, "The scope names fewer than 3 plate characters.")
    return Verdict(listed[0])
