"""Each agency's detection retention (R16, R33, issue 17): its policy in force, read from sharing
through the service's one cached ``AgencyPolicyClient``. Search's own ``agency_settings`` row and
``SEARCH_RETENTION_DAYS`` are only the period of an agency without a policy of its own
(version 0); once a policy exists it wins.

"Strictest" for a purge is the period that deletes the least: a purge cannot be undone, and
deleting early breaks the law's floor (Gov. Code 34090.6, R33) just as keeping late breaks the
ceiling, but only the second is put right by the next run. So an agency whose policy was never
read (sharing unreachable since the process started) keeps its data at least the strictest
default's period (``RetentionPolicy().detection_days``, one year), and its hits' crops."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from alpr_common import AgencyPolicyClient, RetentionPolicy


class RetentionSource(StrEnum):
    POLICY = "policy"  # the agency's policy in force (version >= 1)
    AGENCY = "agency"  # version 0: search's own setting, set by the agency's alpr_admin
    DEFAULT = "default"  # version 0: SEARCH_RETENTION_DAYS
    STRICTEST = "strictest"  # the policy was never read: never shorter than the strictest default


@dataclass(frozen=True)
class RetentionRule:
    """What the purge applies to one agency."""

    agency: str
    days: int
    policy_version: int  # 0: no policy of its own, or never read
    source: RetentionSource
    floor_days: int | None  # the policy's bounds (R33); None where the platform's (90 to 1,825)
    ceiling_days: int | None
    hits_keep_crop: bool  # R14: a confirmed hit keeps its plate crop when its detection expires


async def rule_of(
    policies: AgencyPolicyClient, agency: str, own: dict[str, int], default_days: int
) -> RetentionRule:
    """The agency's retention (R16): its policy's ``detection_days`` (already between its floor
    and ceiling, R33) where it has one; else its own setting or ``default_days``; and where its
    policy was never read, never less than the strictest default's period (see the module)."""
    version = await policies.version(agency)
    if version.version >= 1:
        retention = version.policy.retention
        return RetentionRule(
            agency=agency,
            days=retention.detection_days,
            policy_version=version.version,
            source=RetentionSource.POLICY,
            floor_days=retention.floor_days,
            ceiling_days=retention.ceiling_days,
            hits_keep_crop=retention.hits_keep_crop,
        )
    days = own.get(agency, default_days)
    source = RetentionSource.AGENCY if agency in own else RetentionSource.DEFAULT
    if policies.answered(agency):
        return RetentionRule(
            agency=agency,
            days=days,
            policy_version=0,
            source=source,
            floor_days=None,
            ceiling_days=None,
            hits_keep_crop=version.policy.retention.hits_keep_crop,
        )
    strict = RetentionPolicy()
    return RetentionRule(
        agency=agency,
        days=max(days, strict.detection_days, strict.floor_days),
        policy_version=0,
        source=RetentionSource.STRICTEST,
        floor_days=strict.floor_days,
        ceiling_days=strict.ceiling_days,
        hits_keep_crop=True,  # deletes the least: a hit's crop stays until its policy is known
    )
