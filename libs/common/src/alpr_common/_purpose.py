"""Purpose checks shared by every view of ALPR data (R5, R6, R7)."""

from __future__ import annotations

import re

from ._problems import ProblemFieldError, PurposeProhibited, ValidationProblem
from ._vocabulary import Purpose

DEFAULT_CASE_NUMBER_PATTERN = r"^[0-9]{2,4}-[0-9]{3,10}$"


def check_purpose(
    purpose: Purpose,
    case_number: str | None,
    reason: str | None,
    *,
    case_number_required: bool = True,
    case_number_pattern: str = DEFAULT_CASE_NUMBER_PATTERN,
) -> None:
    """R7: a prohibited purpose is refused (403 purpose-prohibited; the caller records the
    attempt). R5: browsing needs a case number matching the agency's pattern, or, where the
    agency does not require one, a case number or a reason."""
    if purpose.prohibited:
        raise PurposeProhibited(f"The purpose '{purpose.value}' is prohibited by policy (R7).")
    if case_number is not None and not re.fullmatch(case_number_pattern, case_number):
        raise ValidationProblem(
            "The case number does not match the agency's format.",
            errors=[ProblemFieldError(loc=["case_number"], msg=f"must match {case_number_pattern}")],
        )
    if case_number_required and not case_number:
        raise ValidationProblem(
            "A case or incident number is required (R5).",
            errors=[ProblemFieldError(loc=["case_number"], msg="required")],
        )
    if not case_number and not (reason and reason.strip()):
        raise ValidationProblem(
            "A case number or a reason is required (R5).",
            errors=[ProblemFieldError(loc=["reason"], msg="required without a case number")],
        )
