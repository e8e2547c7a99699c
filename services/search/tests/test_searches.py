"""Purpose-bound search over the detection store (R4-R8, R27, R31)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from search_support import SearchStack

from alpr_devstack.testing import bearer, problem

CAMERA = str(uuid.uuid4())
NOW = datetime.now(UTC).replace(microsecond=0)


def detection(plate: str, hours_ago: float = 1, agency: str = "CA0019400", **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "agency": agency,
        "camera_id": CAMERA,
        "captured_at": (NOW - timedelta(hours=hours_ago)).isoformat(),
        "latitude": 37.3361,
        "longitude": -121.8905,
        "plate": plate,
        "region": "CA",
        "confidence": 0.9,
        "crop_key": f"crops/{agency}/x/{plate}.jpg",
        **extra,
    }


async def seed(stack: SearchStack, rows: list[dict[str, Any]]) -> None:
    resp = await stack.client.post("/v1/detections:batch", json={"detections": rows}, headers=stack.service)
    assert resp.status_code == 200, resp.text


def query(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "purpose": "stolen_vehicle",
        "case_number": "2026-001234",
        "from": (NOW - timedelta(days=7)).isoformat(),
        "to": (NOW + timedelta(hours=1)).isoformat(),
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


async def plates(stack: SearchStack, **overrides: Any) -> list[str]:
    resp = await stack.client.post("/v1/searches", json=query(**overrides), headers=stack.investigator)
    assert resp.status_code == 200, resp.text
    return sorted(item["plate"] for item in resp.json()["items"])


class TestSearch:
    async def test_auth(self, search_stack: SearchStack) -> None:
        assert (await search_stack.client.post("/v1/searches", json=query())).status_code == 401
        operator = bearer(search_stack.infra.mint(roles=["operator"]))
        assert (
            await search_stack.client.post("/v1/searches", json=query(), headers=operator)
        ).status_code == 403

    async def test_refusals_are_4xx_and_audited_R5_R7(self, search_stack: SearchStack) -> None:
        """R5/R7: no purpose, a prohibited one, no or a malformed case number, too long a range."""
        cases = [
            (query(purpose=None), 422),
            (query(purpose="immigration_enforcement"), 403),
            (query(purpose="personal_use"), 403),
            (query(case_number=None), 422),
            (query(case_number="ABC"), 422),
            (query(**{"from": (NOW - timedelta(days=200)).isoformat()}), 422),
            (query(**{"from": None}), 422),
        ]
        for body, status in cases:
            resp = await search_stack.client.post(
                "/v1/searches", json=body, headers=search_stack.investigator
            )
            assert resp.status_code == status, (body, resp.text)
            if status == 403:
                assert problem(resp)["type"] == "urn:alpr:problem:purpose-prohibited"
        refused = await search_stack.audit_events(action="search.executed", outcome="refused")
        assert len(refused) == len(cases)
        assert {e["outcome_reason"] for e in refused} >= {"purpose-prohibited"}
        assert all(e["actor"]["sub"] == "inv-1" for e in refused)

    async def test_exact_partial_and_wildcard_plates_R8(self, search_stack: SearchStack) -> None:
        """R8: partial plates with `*` (any run) and `?` (one character), over the whole plate."""
        await seed(
            search_stack,
            [
                detection(p)
                for p in ["7ABC123", "7ABC128", "7ABX123", "8ABC123", "7AB12", "XYZ999", "ABC1234"]
            ],
        )
        assert await plates(search_stack, plate="7abc-123") == ["7ABC123"]
        assert await plates(search_stack, plate="7AB*12") == ["7AB12"]
        assert await plates(search_stack, plate="7AB*") == ["7AB12", "7ABC123", "7ABC128", "7ABX123"]
        assert await plates(search_stack, plate="7ABC12?") == ["7ABC123", "7ABC128"]
        assert await plates(search_stack, plate="?ABC123") == ["7ABC123", "8ABC123"]
        assert await plates(search_stack, plate="*BC123*") == ["7ABC123", "8ABC123", "ABC1234"]
        assert await plates(search_stack, plate="NOPE") == []

    async def test_filters_time_camera_area_state(self, search_stack: SearchStack) -> None:
        other_camera = str(uuid.uuid4())
        await seed(
            search_stack,
            [
                detection("AAA111", hours_ago=2),
                detection("BBB222", hours_ago=30, camera_id=other_camera),
                detection("CCC333", hours_ago=3, latitude=34.05, longitude=-118.24),  # Los Angeles
                detection("DDD444", hours_ago=4, region="NV"),
                detection("EEE555", hours_ago=20, vehicle={"make": "Toyota", "color": "Red"}),
            ],
        )
        assert await plates(search_stack, **{"from": (NOW - timedelta(hours=10)).isoformat()}) == [
            "AAA111",
            "CCC333",
            "DDD444",
        ]
        assert await plates(search_stack, camera_ids=[other_camera]) == ["BBB222"]
        near = {"latitude": 37.3361, "longitude": -121.8905, "radius_m": 500}
        within = await plates(search_stack, area=near)
        assert "AAA111" in within
        assert "CCC333" not in within
        assert await plates(search_stack, state="nv") == ["DDD444"]
        assert await plates(search_stack, vehicle={"make": "TOYOTA", "color": "red"}) == ["EEE555"]
        assert await plates(search_stack, vehicle={"make": "toyota", "color": "blue"}) == []

    async def test_state_includes_unknown_state_marked_issue_21(self, search_stack: SearchStack) -> None:
        """Issue 21, item 4: `state` also finds detections whose state the reader could not tell,
        each marked `state_match: "unknown"`; `include_unknown_state: false` leaves them out."""
        await seed(
            search_stack,
            [
                detection("CAL111"),
                detection("NEV222", region="NV"),
                detection("UNK333", region="unknown"),
            ],
        )

        async def matches(**criteria: Any) -> dict[str, str | None]:
            resp = await search_stack.client.post(
                "/v1/searches", json=query(**criteria), headers=search_stack.investigator
            )
            assert resp.status_code == 200, resp.text
            return {item["plate"]: item["state_match"] for item in resp.json()["items"]}

        assert await matches(state="ca") == {"CAL111": "exact", "UNK333": "unknown"}
        assert await matches(state="CA", include_unknown_state=False) == {"CAL111": "exact"}
        assert await matches(state="NV") == {"NEV222": "exact", "UNK333": "unknown"}
        assert await matches() == {"CAL111": None, "NEV222": None, "UNK333": None}  # no state, no mark
        # The switch is a criterion: on the ledger with the state (R4).
        recorded = await search_stack.audit_events(action="search.executed", outcome="allowed")
        switches = [e["data"].get("include_unknown_state") for e in recorded if isinstance(e["data"], dict)]
        assert sorted(map(str, switches)) == ["False", "None", "True", "True"]

    async def test_another_agency_never_sees_our_detections(self, search_stack: SearchStack) -> None:
        await seed(search_stack, [detection("7ABC123"), detection("7ABC123", agency="CA0010900")])
        ours = await plates(search_stack, plate="7ABC123")
        assert ours == ["7ABC123"]
        other = bearer(search_stack.infra.mint(sub="inv-x", agency="CA0010900", roles=["investigator"]))
        resp = await search_stack.client.post("/v1/searches", json=query(plate="7ABC123"), headers=other)
        assert len(resp.json()["items"]) == 1
        mine = (
            await search_stack.client.post(
                "/v1/searches", json=query(plate="7ABC123"), headers=search_stack.investigator
            )
        ).json()["items"][0]["id"]
        seen = await search_stack.client.get(
            f"/v1/detections/{mine}",
            headers=other,
            params={"purpose": "stolen_vehicle", "case_number": "2026-000001"},
        )
        missing = await search_stack.client.get(
            f"/v1/detections/{uuid.uuid4()}",
            headers=other,
            params={"purpose": "stolen_vehicle", "case_number": "2026-000001"},
        )
        assert seen.status_code == missing.status_code == 404  # R27: the same answer
        assert seen.json()["detail"] == missing.json()["detail"]

    async def test_search_is_recorded_with_every_criterion_R4(self, search_stack: SearchStack) -> None:
        await seed(search_stack, [detection("7ABC123")])
        body = query(plate="7ABC*", state="CA", reason="patrol follow-up")
        resp = await search_stack.client.post("/v1/searches", json=body, headers=search_stack.investigator)
        assert resp.status_code == 200
        [event] = await search_stack.audit_events(action="search.executed", outcome="allowed")
        assert event["purpose"] == "stolen_vehicle"
        assert event["case_number"] == "2026-001234"
        data = event["data"]
        assert isinstance(data, dict)
        assert data["plate"] == "7ABC*"
        assert data["state"] == "CA"
        assert data["results"] == 1
        assert event["targets"] == [resp.json()["items"][0]["id"]]

    async def test_pages_and_continuations(self, search_stack: SearchStack) -> None:
        await seed(search_stack, [detection(f"PAGE{i:02d}", hours_ago=i + 1) for i in range(5)])
        first = (
            await search_stack.client.post(
                "/v1/searches", json=query(plate="PAGE*", limit=2), headers=search_stack.investigator
            )
        ).json()
        assert [i["plate"] for i in first["items"]] == ["PAGE00", "PAGE01"]  # newest first
        second = (
            await search_stack.client.post(
                "/v1/searches",
                json=query(plate="PAGE*", limit=2, cursor=first["next_cursor"]),
                headers=search_stack.investigator,
            )
        ).json()
        assert [i["plate"] for i in second["items"]] == ["PAGE02", "PAGE03"]
        assert second["search_id"] == first["search_id"]
        assert len(await search_stack.audit_events(action="search.executed", outcome="allowed")) == 1
        assert len(await search_stack.audit_events(action="detection.viewed")) == 1

    async def test_a_cursor_continues_only_its_own_search(self, search_stack: SearchStack) -> None:
        """Issue 16: a cursor is signed and bound to the search, the caller and the agency that
        made it; another search sent with it (a forged or genuine cursor) is 400 and recorded as
        a refused search, never served as the next page of the old one."""
        await seed(search_stack, [detection(f"BIND{i:02d}", hours_ago=i + 1) for i in range(4)])
        first = await search_stack.client.post(
            "/v1/searches", json=query(plate="BIND*", limit=1), headers=search_stack.investigator
        )
        cursor = first.json()["next_cursor"]
        other = bearer(search_stack.infra.mint(sub="inv-2", name="Inv Two", roles=["investigator"]))
        payload, _, tag = cursor.partition(".")
        for body, headers in [
            (query(plate="*", limit=1, cursor=cursor), search_stack.investigator),  # another search
            (
                query(plate="BIND*", limit=1, purpose="criminal_investigation", cursor=cursor),
                search_stack.investigator,
            ),
            (query(plate="BIND*", limit=1, cursor=cursor), other),  # another caller
            (query(plate="BIND*", limit=1, cursor=f"{payload}x.{tag}"), search_stack.investigator),
        ]:
            resp = await search_stack.client.post("/v1/searches", json=body, headers=headers)
            assert resp.status_code == 400, resp.text
        refused = await search_stack.audit_events(action="search.executed", outcome="refused")
        assert len(refused) == 4
        same = await search_stack.client.post(
            "/v1/searches",
            json=query(plate="BIND*", limit=1, cursor=cursor),
            headers=search_stack.investigator,
        )
        assert same.status_code == 200
        assert [i["plate"] for i in same.json()["items"]] == ["BIND01"]

    async def test_batch_is_idempotent_and_crops_are_presigned(self, search_stack: SearchStack) -> None:
        row = detection("7ABC123", hours_ago=24 * 20)  # a late upload lands in its own old day (R18)
        await seed(search_stack, [row])
        await seed(search_stack, [row])
        items = (
            await search_stack.client.post(
                "/v1/searches",
                json=query(**{"from": (NOW - timedelta(days=30)).isoformat()}),
                headers=search_stack.investigator,
            )
        ).json()["items"]
        assert [i["id"] for i in items] == [row["id"]]
        assert items[0]["crop_url"].startswith("http")
        assert "X-Amz-Signature" in items[0]["crop_url"]

    async def test_no_results_when_the_audit_service_is_down(self, search_stack: SearchStack) -> None:
        from alpr_devstack.components import free_port
        from alpr_devstack.testing import serve
        from alpr_search.app import create_app

        await seed(search_stack, [detection("7ABC123")])
        settings = search_stack.settings.model_copy(update={"audit_url": f"http://127.0.0.1:{free_port()}"})
        async with serve(create_app(settings)) as client:
            resp = await client.post(
                "/v1/searches", json=query(plate="7ABC123"), headers=search_stack.investigator
            )
        assert resp.status_code == 503
        assert problem(resp)["type"] == "urn:alpr:problem:audit-unavailable"
        assert "7ABC123" not in resp.text

    async def test_service_search_for_sharing_names_agency_and_request(
        self, search_stack: SearchStack
    ) -> None:
        await seed(search_stack, [detection("7ABC123")])
        body = query(plate="7ABC123", case_number="PARTNER-CASE 77")
        refused = await search_stack.client.post("/v1/searches", json=body, headers=search_stack.service)
        assert refused.status_code == 422
        request_id = str(uuid.uuid4())
        ok = await search_stack.client.post(
            "/v1/searches",
            headers=search_stack.service,
            json={**body, "agency": "CA0019400", "sharing_request_id": request_id},
        )
        assert ok.status_code == 200, ok.text
        assert len(ok.json()["items"]) == 1
        [event] = await search_stack.audit_events(action="search.executed", outcome="allowed")
        assert isinstance(event["data"], dict)
        assert event["data"]["sharing_request_id"] == request_id

    async def test_stats(self, search_stack: SearchStack) -> None:
        await seed(search_stack, [detection("OLD1", hours_ago=24 * 200), detection("NEW1")])
        resp = await search_stack.client.get(
            "/v1/stats", params={"agency": "CA0019400"}, headers=search_stack.service
        )
        assert resp.json()["detections_in_retention"] == 2
        assert resp.json()["retained_beyond_six_months"]["count"] == 1


async def test_misread_correction_keeps_the_original_R19(search_stack: SearchStack) -> None:
    """R19: the correction is searchable, the read as made stays, and both are on the ledger."""
    row = detection("8ABC123")
    await seed(search_stack, [row])
    body = {
        "plate": "BABC123",
        "note": "8 read for B; verified on the crop",
        "purpose": "stolen_vehicle",
        "case_number": "2026-001234",
    }
    resp = await search_stack.client.post(
        f"/v1/detections/{row['id']}/corrections", json=body, headers=search_stack.investigator
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["plate"] == "8ABC123"
    assert resp.json()["plate_corrected"] == "BABC123"
    assert await plates(search_stack, plate="BABC123") == ["8ABC123"]  # found by its correction
    assert await plates(search_stack, plate="8ABC123") == ["8ABC123"]  # and by what was read
    [event] = await search_stack.audit_events(action="detection.corrected")
    assert isinstance(event["data"], dict)
    assert event["data"]["original_plate"] == "8ABC123"
    assert event["data"]["corrected_plate"] == "BABC123"
    operator = bearer(search_stack.infra.mint(roles=["operator"]))
    denied = await search_stack.client.post(
        f"/v1/detections/{row['id']}/corrections", json=body, headers=operator
    )
    assert denied.status_code == 403


async def test_corrections_are_counted_per_camera_and_model_version_R22(search_stack: SearchStack) -> None:
    """R22: a corrected detection counts against its camera and model version, in the stats
    (beside the detections of that source) and in the Prometheus counter (by model version only),
    once however often it is corrected."""
    other_camera = str(uuid.uuid4())
    fixed = detection("8ABC123", model_version="lpr-2026.11")
    rows = [
        fixed,
        detection("8ABC124", model_version="lpr-2026.11"),
        detection("8ABC125", camera_id=other_camera),  # no version reported
    ]
    await seed(search_stack, rows)
    body = {
        "plate": "BABC123",
        "note": "8 read for B; verified on the crop",
        "purpose": "stolen_vehicle",
        "case_number": "2026-001234",
    }
    for plate in ("BABC123", "BABC128"):  # corrected, then the correction corrected
        resp = await search_stack.client.post(
            f"/v1/detections/{fixed['id']}/corrections",
            json={**body, "plate": plate},
            headers=search_stack.investigator,
        )
        assert resp.status_code == 200, resp.text
    stats = await search_stack.client.get(
        "/v1/stats", params={"agency": "CA0019400"}, headers=search_stack.auditor
    )
    assert stats.status_code == 200, stats.text
    by_source = {(s["camera_id"], s["model_version"]): s for s in stats.json()["corrections_by_source"]}
    assert by_source == {
        (CAMERA, "lpr-2026.11"): {
            "camera_id": CAMERA,
            "model_version": "lpr-2026.11",
            "detections": 2,
            "corrections": 1,
        },
        (other_camera, "unknown"): {
            "camera_id": other_camera,
            "model_version": "unknown",
            "detections": 1,
            "corrections": 0,
        },
    }
    metrics = (await search_stack.client.get("/metrics")).text
    assert 'alpr_search_corrections_total{model_version="lpr-2026.11"} 1.0' in metrics
    assert 'model_version="unknown"' not in metrics


async def test_a_refused_correction_is_recorded_with_why(search_stack: SearchStack) -> None:
    """Issue 16 (R7): a correction refused for its purpose or case number is on the ledger."""
    row = detection("8REF123")
    await seed(search_stack, [row])
    base = {"plate": "BREF123", "note": "looked again", "case_number": "2026-001234"}
    for body, status in [
        ({**base, "purpose": "personal_use"}, 403),
        ({**base, "purpose": "stolen_vehicle", "case_number": "nope"}, 422),
    ]:
        resp = await search_stack.client.post(
            f"/v1/detections/{row['id']}/corrections", json=body, headers=search_stack.investigator
        )
        assert resp.status_code == status, resp.text
    refused = await search_stack.audit_events(action="detection.corrected", outcome="refused")
    assert sorted(e["purpose"] for e in refused) == ["personal_use", "stolen_vehicle"]
    assert all(e["targets"] == [row["id"]] for e in refused)
    assert await plates(search_stack, plate="BREF123") == []  # nothing was corrected
