"""Roles of the platform (R3: designated classifications as identity roles)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    INVESTIGATOR = "investigator"
    ANALYST = "analyst"
    SUPERVISOR = "supervisor"
    ALPR_ADMIN = "alpr_admin"
    COMMANDER = "commander"
    AUDITOR = "auditor"
    RECORDS = "records"
    PARTNER = "partner"
    CAMERA = "camera"
    SERVICE = "service"


# R2: tokens whose roles are all machine roles are exempt from the training gate.
MACHINE_ROLES: frozenset[str] = frozenset({Role.CAMERA, Role.PARTNER, Role.SERVICE})
