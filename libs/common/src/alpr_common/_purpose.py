"""Purpose checks shared by every view of ALPR data (R5, R6, R7)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from ._problems import ProblemFieldError, PurposeProhibited, ValidationProblem
from ._records import PurposeStated
from ._vocabulary import Purpose

DEFAULT_CASE_NUMBER_PATTERN = r"^[0-9]{2,4}-[0-9]{3,10}$"


@dataclass(frozen=True)
class Statement:
    """What the viewer of a record states (R5): the purpose, and a case number or a reason."""

    purpose: Purpose
    case_number: str | None
    reason: str | None

    def about(self, *targets: str) -> PurposeStated:
        """The statement as the purpose gate checks it and the ledger names it, for ``targets``."""
        return PurposeStated(
            purpose=self.purpose, case_number=self.case_number, reason=self.reason, targets=list(targets)
        )


def _statement(
    purpose: Purpose,
    case_number: Annotated[str | None, Query(max_length=64)] = None,
    reason: Annotated[str | None, Query(max_length=500)] = None,
) -> Statement:
    return Statement(purpose, case_number, reason)


# A purpose-bound view's query parameters (``purpose``, ``case_number``, ``reason``), as one.
Stated = Annotated[Statement, Depends(_statement)]


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
