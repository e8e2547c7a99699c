"""Closed vocabularies shared by every service: audit actions and purposes of use."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """What an audit event records. A new action is added here, nowhere else."""

    CAMERA_CREATED = "camera.created"
    CAMERA_UPDATED = "camera.updated"
    CAMERA_CHECKED = "camera.checked"  # a shift check of a camera (issue 20)
    FRAME_VIEWED = "frame.viewed"
    FRAME_PURGED = "frame.purged"
    HOTLIST_CREATED = "hotlist.created"
    HOTLIST_UPDATED = "hotlist.updated"
    HOTLIST_SYNCED = "hotlist.synced"
    HOTLIST_ENTRY_CREATED = "hotlist.entry.created"
    HOTLIST_ENTRY_UPDATED = "hotlist.entry.updated"
    HOTLIST_ENTRY_APPROVED = "hotlist.entry.approved"
    HOTLIST_ENTRY_REJECTED = "hotlist.entry.rejected"
    HOTLIST_ENTRY_VIEWED = "hotlist.entry.viewed"
    ALERT_CREATED = "alert.created"
    ALERT_TRANSITIONED = "alert.transitioned"
    ALERT_VIEWED = "alert.viewed"
    SEARCH_EXECUTED = "search.executed"
    DETECTION_VIEWED = "detection.viewed"
    DETECTION_CORRECTED = "detection.corrected"
    HOLD_CREATED = "hold.created"
    HOLD_RELEASED = "hold.released"
    HOLD_EXPORTED = "hold.exported"
    HOLD_VIEWED = "hold.viewed"
    RETENTION_PURGED = "retention.purged"
    LEDGER_QUERIED = "ledger.queried"
    LEDGER_VERIFIED = "ledger.verified"
    LEDGER_CHECKPOINTED = "ledger.checkpointed"
    AUDIT_CREATED = "audit.created"
    AUDIT_FINDING_RECORDED = "audit.finding_recorded"
    REPORT_GENERATED = "report.generated"
    AGENCY_CREATED = "agency.created"
    AGENCY_UPDATED = "agency.updated"
    MOU_CREATED = "mou.created"
    MOU_STATE_CHANGED = "mou.state_changed"
    SHARING_REQUESTED = "sharing.requested"
    SHARING_DECIDED = "sharing.decided"
    SHARING_RELEASED = "sharing.released"
    SHARING_REQUEST_VIEWED = "sharing.request_viewed"
    POLICY_REFUSED = "policy.refused"
    # Issue 17: an agency policy version proposed (applied at once when it loosens nothing),
    # and a commander's decision on one that loosens a rule.
    AGENCY_POLICY_PROPOSED = "agency_policy.proposed"
    AGENCY_POLICY_APPROVED = "agency_policy.approved"
    AGENCY_POLICY_REJECTED = "agency_policy.rejected"
    # Issue 17, warrant-style tiers: a search request for a supervisor's prior approval, its
    # decision, its one use by the search it approved, and views of such requests.
    SEARCH_REQUEST_CREATED = "search_request.created"
    SEARCH_REQUEST_DECIDED = "search_request.decided"
    SEARCH_REQUEST_USED = "search_request.used"
    SEARCH_REQUEST_VIEWED = "search_request.viewed"


class Purpose(StrEnum):
    """Why data is used: the authorized purposes (R6) and the prohibited ones (R7), which
    validation accepts so that the attempt can be refused with 403 and audited."""

    STOLEN_VEHICLE = "stolen_vehicle"
    WANTED_PERSON = "wanted_person"
    CRIMINAL_INVESTIGATION = "criminal_investigation"
    VIOLENT_CRIME_WITNESS_OR_VICTIM = "violent_crime_witness_or_victim"
    MISSING_PERSON = "missing_person"
    AMBER_ALERT = "amber_alert"
    SILVER_ALERT = "silver_alert"
    SERIAL_CRIME_SUPPORT = "serial_crime_support"
    SPECIAL_EVENT_PROTECTION = "special_event_protection"
    CRITICAL_INFRASTRUCTURE_PROTECTION = "critical_infrastructure_protection"
    IMMIGRATION_ENFORCEMENT = "immigration_enforcement"
    FIRST_AMENDMENT_ACTIVITY = "first_amendment_activity"
    PERSONAL_USE = "personal_use"
    HARASSMENT = "harassment"
    PROTECTED_CHARACTERISTIC = "protected_characteristic"
    PRIVATE_AREA_SURVEILLANCE = "private_area_surveillance"

    @property
    def prohibited(self) -> bool:
        return self in PROHIBITED_PURPOSES


# R7: refused with 403 purpose-prohibited, and the attempt recorded.
PROHIBITED_PURPOSES: frozenset[Purpose] = frozenset(
    {
        Purpose.IMMIGRATION_ENFORCEMENT,
        Purpose.FIRST_AMENDMENT_ACTIVITY,
        Purpose.PERSONAL_USE,
        Purpose.HARASSMENT,
        Purpose.PROTECTED_CHARACTERISTIC,
        Purpose.PRIVATE_AREA_SURVEILLANCE,
    }
)


class AuthorizedPurpose(StrEnum):
    """R6 only (an MOU's purposes)."""

    STOLEN_VEHICLE = "stolen_vehicle"
    WANTED_PERSON = "wanted_person"
    CRIMINAL_INVESTIGATION = "criminal_investigation"
    VIOLENT_CRIME_WITNESS_OR_VICTIM = "violent_crime_witness_or_victim"
    MISSING_PERSON = "missing_person"
    AMBER_ALERT = "amber_alert"
    SILVER_ALERT = "silver_alert"
    SERIAL_CRIME_SUPPORT = "serial_crime_support"
    SPECIAL_EVENT_PROTECTION = "special_event_protection"
    CRITICAL_INFRASTRUCTURE_PROTECTION = "critical_infrastructure_protection"


class Outcome(StrEnum):
    ALLOWED = "allowed"
    REFUSED = "refused"
