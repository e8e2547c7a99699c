"""Settings of the audit service: its own carry the ``AUDIT_`` prefix."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from alpr_common import ServiceSettings, settings_config

from .checkpoints.signing import load_private_key

# The demo agency of the development stack; production names its own (AUDIT_PUBLIC_AGENCY).
DEMO_AGENCY = "CA0019400"

DEFAULT_POLICY = (
    "This agency operates Automated License Plate Recognition (ALPR) under California Civil Code "
    "1798.90.5-1798.90.55 (SB 34). ALPR data is used only for official law-enforcement purposes, "
    "every access is logged with who, when, what and why, data is purged when its retention "
    "period ends unless held as evidence, and it is shared only with law-enforcement agencies on "
    "an approved written request. It is never sold, and never shared for immigration enforcement."
)


class Settings(ServiceSettings):
    model_config = settings_config("AUDIT_")

    # R30: the service's connections act as a role that may only INSERT and SELECT the ledger.
    database_role: str | None = "alpr_audit_writer"
    # Ed25519 private key (32 raw bytes, base64) that signs checkpoints; a random one per
    # process when unset (development only, with a warning: its signatures do not outlive the
    # process). Production refuses to start without it.
    signing_key: SecretStr | None = None
    # Public keys (base64) of earlier signing keys whose checkpoints still count.
    trusted_public_keys: str = ""
    checkpoint_every_events: int = Field(1000, ge=1)
    checkpoint_every_minutes: float = Field(15.0, gt=0)
    checkpoint_poll_seconds: float = Field(5.0, gt=0)
    # Gauges (ledger head, last checkpoint) and the verification of new events run this often.
    metrics_refresh_seconds: float = Field(15.0, gt=0)
    # R20: audit trails are kept at least two years.
    retention_days: int = Field(730, ge=730)
    sample_months: int = Field(6, ge=1, le=24)
    policy_text: str = DEFAULT_POLICY
    # The agency of the public transparency page; production must name it (not the demo ORI).
    public_agency: str = DEMO_AGENCY
    stats_timeout_s: float = Field(2.0, gt=0)

    @field_validator("signing_key", mode="before")
    @classmethod
    def _empty_key_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("signing_key")
    @classmethod
    def _key_loads(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            load_private_key(value.get_secret_value())  # ValueError: the format it must have
        return value

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.signing_key is None:
            problems.append(
                "AUDIT_SIGNING_KEY is not set (a random key per process signs checkpoints that "
                "cannot be verified after a restart)"
            )
        if "public_agency" not in self.model_fields_set:
            problems.append(f"AUDIT_PUBLIC_AGENCY is not set (the default {DEMO_AGENCY} is the demo agency)")
        return problems
