"""Hostile input: schemathesis generates requests from every operation of each service's
OpenAPI document (its examples, its coverage phase of boundary and invalid values, then random
valid and invalid requests), sends them with a token of the roles the route admits (or none,
or a broken one, as its negative cases choose), and checks that no answer is a server error,
every documented answer matches its declared schema and media type, and no service logs an
error meanwhile (a stream that fails after its 200 has started is no 500 a client sees).

``ALPR_FUZZ_EXAMPLES`` sets the random examples per operation (``make test``: 15;
``make test-slow``: 200). ``ALPR_FUZZ_SEED`` replays a run (each run prints its seed, the
number of cases and the answers at the end of pytest's report)."""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import APIOperation, Case
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import derive_operation_seed
from schemathesis.generation.hypothesis.builder import HypothesisTestConfig, HypothesisTestMode, create_test
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from alpr_devstack.testing import SERVICE_NAMES, match_read

if TYPE_CHECKING:  # the fixture's type (conftest modules are not imported by name)
    from fuzz.conftest import FuzzStack

EXAMPLES = int(os.environ.get("ALPR_FUZZ_EXAMPLES", "15"))
SEED = int(os.environ.get("ALPR_FUZZ_SEED") or random.randrange(2**32))
CHECKS: list[CheckFunction] = [not_a_server_error, response_schema_conformance, content_type_conformance]
PHASES = [HypothesisTestMode.EXAMPLES, HypothesisTestMode.COVERAGE, HypothesisTestMode.FUZZING]
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,  # the fuzzing phase's; the coverage phase's cases come on top
    database=None,  # nothing written to the work tree; ALPR_FUZZ_SEED replays a run
    deadline=None,
    derandomize=False,
    report_multiple_bugs=False,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
REQUEST_TIMEOUT_S = 30


@dataclass
class Run:
    """What one service's run tried and found."""

    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def _fuzz_operation(
    operation: APIOperation[Any, Any, Any, Any], base_url: str, token: str, camera_id: str, run: Run
) -> None:
    """schemathesis's phases for one operation: the schema's examples, the coverage phase
    (boundary and invalid values of each field, deterministic) and the fuzzing phase (random
    valid and invalid requests, EXAMPLES of them); stops at the first failure and shrinks it."""
    headers = {"Authorization": f"Bearer {token}"}
    last: list[Case[Any]] = []
    session = requests.Session()

    def check(case: Case[Any]) -> None:
        # Hypothesis seeds `random` for each example, so this choice replays with the case.
        if camera_id and random.random() < 0.5:
            if isinstance(case.body, dict) and "camera_id" in case.body:
                case.body["camera_id"] = camera_id
            if case.path_parameters and "camera_id" in case.path_parameters:
                case.path_parameters["camera_id"] = camera_id
        last[:] = [case]
        run.cases += 1
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=REQUEST_TIMEOUT_S)
        run.statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    test = create_test(
        operation=operation,
        test_func=check,
        config=HypothesisTestConfig(
            project=operation.schema.config,
            modes=PHASES,
            settings=SETTINGS,
            explicit_settings=SETTINGS,
            seed=derive_operation_seed(SEED, operation.label),
        ),
    )
    try:
        test()
    except hypothesis.errors.Unsatisfiable:
        return  # nothing to make invalid: no parameters and no body (GET /healthz)
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected; the test fails on all
        found = _describe(exc)
        if "curl " not in found and last:  # schemathesis's own failures carry their curl line
            found += "\nReproduce with: " + last[0].as_curl_command(headers={"Authorization": "[Filtered]"})
        run.failures.append(f"{operation.label}\n{found}")
    finally:
        session.close()


def _describe(exc: BaseException) -> str:
    """The failure's own text: Hypothesis wraps a failure that did not repeat (``Flaky...``) in
    a group whose message names none of it."""
    if isinstance(exc, BaseExceptionGroup) and "produces unreliable results" in str(exc):
        inner = "\n".join(_describe(sub) for sub in exc.exceptions)
        return f"(did not repeat on a second try)\n{inner}"
    return str(exc)


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_hostile_input_is_refused_and_every_answer_is_documented(service: str, fuzz_stack: FuzzStack) -> None:
    base_url = fuzz_stack.urls[service]
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    run = Run()
    started = time.monotonic()
    operations = 0
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            run.failures.append(f"an operation schemathesis cannot read: {result.err()}")
            continue
        operation = result.ok()
        operations += 1
        roles = fuzz_stack.route_roles.get((service, operation.method.upper(), operation.path), ())
        token = fuzz_stack.token(roles or ("investigator",))
        fuzz_stack.server_errors.take()  # anything before this operation is not its doing
        _fuzz_operation(operation, base_url, token, fuzz_stack.camera_id, run)
        for logged in fuzz_stack.server_errors.take():
            run.failures.append(f"{operation.label}\nA service logged an error while it ran:\n{logged}")
    elapsed = time.monotonic() - started
    summary = (
        f"{service}: {run.cases} cases over {operations} operations in {elapsed:.1f}s "
        f"(coverage phase + {EXAMPLES} fuzzed examples per operation, ALPR_FUZZ_SEED={SEED}); answers: "
        + ", ".join(f"{status} x{n}" for status, n in sorted(run.statuses.items()))
    )
    fuzz_stack.summaries.append(summary)  # printed at the end of the run
    assert operations > 0
    assert not run.failures, summary + "\n\n" + "\n\n".join(run.failures)


@pytest.mark.parametrize(
    "captured_at", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "1969-12-31T23:59:59Z"]
)
def test_a_detection_search_cannot_file_is_refused(captured_at: str, fuzz_stack: FuzzStack) -> None:
    """Found by this suite: the driver sends year 1 as -infinity, which no day partition holds
    (a 500 from the insert); search refuses capture times outside the ones it files."""
    detection: dict[str, Any] = {
        "id": "f728b4fa-4248-1e3a-8a5d-2f346baa9455",
        "camera_id": "e3e70682-c209-1cac-a29f-6fbed82c07cd",
        "agency": "CA0019400",
        "captured_at": captured_at,
        "plate": "7ABC123",
        "confidence": 0.9,
    }
    resp = requests.post(
        f"{fuzz_stack.urls['search']}/v1/detections:batch",
        json={"detections": [detection]},
        headers={"Authorization": f"Bearer {fuzz_stack.token(('service',))}"},
        timeout=REQUEST_TIMEOUT_S,
    )
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["errors"] == [
        {"loc": ["body", "detections", 0, "captured_at"], "msg": "capture time out of range"}
    ]


def test_the_alert_streams_events_are_the_documented_events(fuzz_stack: FuzzStack) -> None:
    """Issue 18: the alert stream is described for OpenAPI 3.1 (no ``itemSchema``): its
    ``text/event-stream`` schema is one event's, whose ``data`` is an alert as JSON
    (``contentSchema``). A real alert, made by a match, replayed by the stream, conforms to it
    as schemathesis reads the document."""
    hotlist = fuzz_stack.urls["hotlist"]

    def call(method: str, path: str, roles: tuple[str, ...], body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {fuzz_stack.token(roles)}"}
        url = f"{hotlist}{path}"
        resp = requests.request(method, url, json=body, headers=headers, timeout=REQUEST_TIMEOUT_S)
        assert resp.status_code in {200, 201, 202}, resp.text
        answer: dict[str, Any] = resp.json()
        return answer

    new_list = {"name": "Stream", "kind": "local_bolo", "priority": 1}
    made = call("POST", "/v1/hotlists", ("alpr_admin",), new_list)
    plate = "SSE" + str(random.randrange(1000, 9999))
    entry = call(
        "POST",
        f"/v1/hotlists/{made['id']}/entries",
        ("operator",),
        {"plate": plate, "state": "CA", "case_number": "2026-001234", "synopsis": "Sought for this test."},
    )
    call("POST", f"/v1/hotlists/{made['id']}/entries/{entry['id']}:approve", ("alpr_admin",), {})
    call("POST", "/v1/matches", ("service",), {"reads": [match_read(plate)]})

    schema = schemathesis.openapi.from_url(f"{hotlist}/openapi.json")
    operation = schema["/v1/alerts/stream"]["GET"]
    headers = {"Authorization": f"Bearer {fuzz_stack.token(('operator',))}"}
    case = operation.Case(query={"hotlist_id": [made["id"]]}, headers={"Last-Event-ID": "0"})
    response = case.call(base_url=hotlist, headers=headers, timeout=REQUEST_TIMEOUT_S)  # ends after 0.25 s
    assert response.status_code == 200, response.text
    assert "event: alert.created" in response.text, response.text
    assert plate in response.text
    case.validate_response(response, checks=[response_schema_conformance], headers=headers)
