"""API shapes of partner agencies."""

from __future__ import annotations

from datetime import datetime

from pydantic import AnyHttpUrl, BaseModel, Field

from ..vocabulary import AgencyKind

ORI_PATTERN = r"^[A-Z0-9]{2,32}$"


class Contact(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=40)


class AgencyCreate(BaseModel):
    ori: str = Field(pattern=ORI_PATTERN, description="The agency's ORI, e.g. CA0010900.")
    name: str = Field(min_length=1, max_length=200)
    state: str = Field(pattern=r"^[A-Z]{2}$")
    kind: AgencyKind
    federal: bool = False
    client_ids: list[str] = Field(
        default_factory=list, max_length=50, description="OIDC client ids of the agency's machine clients."
    )
    contacts: list[Contact] = Field(default_factory=list, max_length=20)
    webhook_url: AnyHttpUrl | None = Field(
        None, description="Where decisions on its requests are pushed (signed)."
    )


class AgencyUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    state: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    kind: AgencyKind | None = None
    federal: bool | None = None
    client_ids: list[str] | None = Field(None, max_length=50)
    contacts: list[Contact] | None = Field(None, max_length=20)
    webhook_url: AnyHttpUrl | None = None


class Agency(BaseModel):
    """A partner agency as registered: what the filing rules judge (kind, state, federal, R26,
    R29), the machine clients that speak for it, and its webhook (the stored record, and the
    head of the API shape)."""

    ori: str
    name: str
    state: str
    kind: AgencyKind
    federal: bool
    client_ids: list[str]
    contacts: list[Contact]
    webhook_url: str | None


class AgencyPublic(Agency):
    registered_by_agency: str = Field(description="The host agency whose administrator registered it.")
    webhook_secret: str | None = Field(
        None,
        description="`whsec_...` key of the webhook's Standard Webhooks signatures; answered only when "
        "the webhook URL is set or changed.",
    )
    created_at: datetime
    updated_at: datetime
