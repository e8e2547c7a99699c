"""The closed vocabularies of sharing (CONTRACT.md, Sharing)."""

from __future__ import annotations

from enum import StrEnum


class AgencyKind(StrEnum):
    LAW_ENFORCEMENT = "law_enforcement"
    PROSECUTORIAL = "prosecutorial"
    OTHER = "other"  # R26: never released to; pointed to the records-release process


class MouState(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"  # shown once `expires_at` has passed; never stored


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    REFUSED = "refused"  # failed a rule at filing (R24-R29); kept on file with the reason


class Refusal(StrEnum):
    """Why a request was refused at filing (recorded on the request and the ledger)."""

    NOT_LAW_ENFORCEMENT = "not_law_enforcement"  # R26
    FEDERAL_AGENCY = "federal_agency"  # R29
    OUT_OF_STATE = "out_of_state"  # R29
    DENIED_AGENCY = "denied_agency"  # R29: on the host agency's deny-list (issue 17)
    PROHIBITED_PURPOSE = "prohibited_purpose"  # R7, R29 (immigration enforcement)
    NO_MOU = "no_mou"  # R28: no agreement in force for this purpose
    SCOPE_BEYOND_MOU = "scope_beyond_mou"
    EXIGENT_NOT_ACCEPTED = "exigent_not_accepted"  # R25: the host agency's policy takes none (issue 17)
