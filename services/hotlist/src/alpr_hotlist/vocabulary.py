"""The closed vocabularies of hotlists and alerts (CONTRACT.md, Hotlist)."""

from __future__ import annotations

from enum import StrEnum


class HotlistKind(StrEnum):
    """R9: the sources an administrator may designate."""

    NCIC_STOLEN_VEHICLE = "ncic_stolen_vehicle"
    NCIC_STOLEN_PLATE = "ncic_stolen_plate"
    NCIC_STOLEN_CANADIAN_PLATE = "ncic_stolen_canadian_plate"
    NCIC_WANTED = "ncic_wanted"
    NCIC_MISSING = "ncic_missing"
    NCIC_SUPERVISED_RELEASE = "ncic_supervised_release"
    NCIC_PROTECTION_ORDER = "ncic_protection_order"
    NCIC_GANG = "ncic_gang"
    NCIC_TERRORIST = "ncic_terrorist"
    NCIC_SEX_OFFENDER = "ncic_sex_offender"
    DMV_SUSPENDED = "dmv_suspended"
    LOCAL_BOLO = "local_bolo"
    PARTNER_SHARED = "partner_shared"


class EntryStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    EXPIRED = "expired"  # shown for an active entry past its expiry; never stored


class Origin(StrEnum):
    LOCAL = "local"  # entered by a member, approved by an administrator (R12)
    SYNC = "sync"  # loaded from a source; replaced by each sync (R10), stale after 24 hours (R11)


class Grade(StrEnum):
    EXACT = "exact"
    PARTIAL = "partial"  # a wildcard entry (R8)
    CONFUSABLE = "confusable"  # equal once OCR look-alikes are folded: lower grade


class AlertState(StrEnum):
    """R13: an alert alone is no basis for action; each step is taken by a person."""

    ALERT = "alert"
    TENTATIVE_HIT = "tentative_hit"
    LIVE_QUERY = "live_query"
    CONFIRMED = "confirmed"
    MISREAD = "misread"
    NOT_ACTIVE = "not_active"


class Disposition(StrEnum):
    """R14: what came of an alert, recorded by the move that confirms or closes it (the states
    each one goes with are in ``alerts.lifecycle``)."""

    NO_ACTION = "no_action"
    STOP = "stop"
    ARREST = "arrest"
    VEHICLE_RECOVERED = "vehicle_recovered"
    MISREAD = "misread"  # the one disposition of an alert closed as a misread, and only of it


class FeedFormat(StrEnum):
    CSV = "csv"
    PARTNER_JSON = "partner_json"
