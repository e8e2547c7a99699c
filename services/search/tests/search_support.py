"""Helpers of the search tests."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from alpr_devstack.testing import Infra
from alpr_search.settings import Settings


@dataclass
class SearchStack:
    client: httpx.AsyncClient
    settings: Settings
    infra: Infra
    audit_url: str
    service: dict[str, str]
    investigator: dict[str, str]
    auditor: dict[str, str]

    async def audit_events(self, **params: str) -> list[dict[str, object]]:
        async with httpx.AsyncClient() as http:
            resp = await http.get(f"{self.audit_url}/v1/events", params=params, headers=self.auditor)
            items: list[dict[str, object]] = resp.json()["items"]
            return items
