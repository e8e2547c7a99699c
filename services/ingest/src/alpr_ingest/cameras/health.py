"""Camera health (R1; 002, Alameda 462.3(b)4: "a routine check to ensure the equipment is
working properly ... at the beginning of each shift"): each camera judged against its own
rhythm, so a quiet street camera and a busy freeway one are both told apart from a dead one.

- ``offline``: nothing ever arrived, or nothing for longer than 24 expected intervals (at
  least ``offline_after_s``);
- ``quiet``: nothing for longer than 4 expected intervals (at least ``quiet_after_s``);
- ``degraded``: still sending, but its share of frames with a read (or, for an edge camera, its
  reads per hour) over the last day is under half of its norm over the week before;
- ``ok``: none of these; ``inactive``: deactivated by an administrator (not judged).

The expected interval is the administrator's (``expected_interval_s``) or learned: the week's
span over the number of frames and reads in it, once there are at least 20."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .schemas import HealthState

WEEK_S = 7 * 24 * 3600
LEARN_AFTER = 20  # frames and reads in the week before an interval is learned
QUIET_INTERVALS = 4
OFFLINE_INTERVALS = 24
DEGRADED_SHARE = 0.5  # of its own norm
MIN_DAY_SAMPLE = 20  # frames (or reads) in the last day before degradation is judged


@dataclass(frozen=True)
class Activity:
    """What one camera sent: the last day and the week before it (``*_week``: the 6 days
    before the last day), counted by the repository."""

    active: bool
    expected_interval_s: int | None
    last_frame_at: datetime | None
    last_read_at: datetime | None
    frames_day: int
    frames_with_reads_day: int
    reads_day: int
    frames_week: int
    frames_with_reads_week: int
    reads_week: int


@dataclass(frozen=True)
class Judgement:
    state: HealthState
    expected_interval_s: float | None
    learned: bool
    silent_s: float | None
    read_share_day: float | None
    read_share_norm: float | None


def expected_interval(activity: Activity) -> tuple[float | None, bool]:
    """The interval this camera keeps: set by an administrator, or learned (then ``True``)."""
    if activity.expected_interval_s:
        return float(activity.expected_interval_s), False
    seen = activity.frames_day + activity.frames_week + activity.reads_day + activity.reads_week
    if activity.frames_day + activity.frames_week:
        seen = activity.frames_day + activity.frames_week  # a frame camera's reads follow its frames
    if seen < LEARN_AFTER:
        return None, False
    return WEEK_S / seen, True


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def judge(activity: Activity, now: datetime, *, quiet_after_s: float, offline_after_s: float) -> Judgement:
    """The camera's state now (see the module's docstring)."""
    interval, learned = expected_interval(activity)
    share_day = _share(activity.frames_with_reads_day, activity.frames_day)
    share_norm = _share(activity.frames_with_reads_week, activity.frames_week)
    seen = [t for t in (activity.last_frame_at, activity.last_read_at) if t is not None]
    silent = (now - max(seen)).total_seconds() if seen else None

    def result(state: HealthState) -> Judgement:
        return Judgement(state, interval, learned, silent, share_day, share_norm)

    if not activity.active:
        return result(HealthState.INACTIVE)
    if silent is None:
        return result(HealthState.OFFLINE)
    quiet = max(quiet_after_s, QUIET_INTERVALS * interval) if interval else max(quiet_after_s, 3600.0)
    offline = (
        max(offline_after_s, OFFLINE_INTERVALS * interval) if interval else max(offline_after_s, 6 * 3600.0)
    )
    if silent > offline:
        return result(HealthState.OFFLINE)
    if silent > quiet:
        return result(HealthState.QUIET)
    if activity.frames_day >= MIN_DAY_SAMPLE and share_day is not None and share_norm:
        if share_day < DEGRADED_SHARE * share_norm:
            return result(HealthState.DEGRADED)
    elif not activity.frames_day and not activity.frames_week and activity.reads_week:
        # An edge camera: its reads per hour today against the week before (6 days).
        per_hour_day, per_hour_week = activity.reads_day / 24, activity.reads_week / (6 * 24)
        if activity.reads_week >= MIN_DAY_SAMPLE and per_hour_day < DEGRADED_SHARE * per_hour_week:
            return result(HealthState.DEGRADED)
    return result(HealthState.OK)
