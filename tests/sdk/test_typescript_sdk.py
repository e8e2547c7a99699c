"""The TypeScript SDK (issue 18, item 3): ``clients/typescript`` is generated from the platform's
merged OpenAPI document by openapi-typescript, builds with ``tsc``, and a typed call file
compiles with ``tsc --noEmit`` with its error branch typed as ``Problem``; a wrong call does not
compile, so the check can fail.

Needs Node.js and npm (the npm registry for ``npm ci``): without them these tests skip, except
under CI (CI=true), where they fail."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from alpr_devstack.node import SDK_DIR, NodeError, install, npm, run_script
from alpr_devstack.openapi import build
from alpr_devstack.testing import unavailable


@pytest.fixture(scope="module")
def sdk() -> Path:
    try:
        npm()
        install(SDK_DIR)
    except NodeError as exc:
        unavailable(str(exc))
    return SDK_DIR


def _tsc(sdk: Path, project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(sdk / "node_modules" / ".bin" / "tsc"), "-p", str(project), "--noEmit", "--pretty", "false"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_schema_is_generated_from_the_current_contract(sdk: Path, tmp_path: Path) -> None:
    """The committed ``src/schema.ts`` is what openapi-typescript makes of today's merged
    document: a route or model changed without ``make sdk`` fails here."""
    document = tmp_path / "openapi.json"
    build(document)
    out = tmp_path / "schema.ts"
    generator = sdk / "node_modules" / ".bin" / "openapi-typescript"
    proc = subprocess.run(
        [str(generator), str(document), "--default-non-nullable", "false", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    committed = (sdk / "src" / "schema.ts").read_text()
    assert out.read_text() == committed, "clients/typescript/src/schema.ts is stale: run `make sdk`"
    # Every operation of the document is typed, by its operationId.
    operation_ids = {
        op["operationId"]
        for item in json.loads(document.read_text())["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    missing = sorted(op for op in operation_ids if f'    "{op}": {{' not in committed)
    assert not missing, missing


def test_sdk_builds_and_the_typed_call_compiles(sdk: Path) -> None:
    run_script(sdk, "build")
    assert (sdk / "dist" / "index.js").is_file()
    assert (sdk / "dist" / "index.d.ts").is_file()
    # The build type-checked src; the typed call file compiles against it (`npm run check` runs
    # both checks: its first, src again, would repeat the build's 3.5 s of tsc here).
    typed_call = _tsc(sdk, sdk / "examples" / "tsconfig.json")
    assert typed_call.returncode == 0, typed_call.stdout + typed_call.stderr


def test_a_wrong_call_does_not_compile(sdk: Path, tmp_path: Path) -> None:
    """A purpose outside the enum, a missing required field, and a property a ``Problem`` does not
    have are compile errors (the typed call file above is checked against the same types)."""
    (tmp_path / "wrong.ts").write_text(
        'import { createAlprClient } from "@alpr/sdk";\n'
        "const api = createAlprClient();\n"
        "export async function wrong(): Promise<void> {\n"
        '  await api.POST("/api/search/v1/searches", {\n'
        '    body: { purpose: "curiosity", from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z" },\n'
        "  });\n"
        '  const { error } = await api.POST("/api/search/v1/searches", {\n'
        '    body: { purpose: "stolen_vehicle", from: "2026-11-01T00:00:00Z" },\n'
        "  });\n"
        "  if (error) console.log(error.stack_trace);\n"
        "}\n"
    )
    (tmp_path / "tsconfig.json").write_text(
        json.dumps(
            {
                "extends": str(sdk / "tsconfig.json"),
                "compilerOptions": {
                    "noEmit": True,
                    "rootDir": "/",
                    "baseUrl": str(sdk),
                    "paths": {"@alpr/sdk": [str(sdk / "src" / "index.ts")]},
                },
                "include": [str(tmp_path / "wrong.ts")],
            }
        )
    )
    proc = _tsc(sdk, tmp_path / "tsconfig.json")
    assert proc.returncode != 0
    errors = proc.stdout
    assert '"curiosity"' in errors, errors  # not an authorized or prohibited purpose
    assert "'to' is missing" in errors or "Property 'to'" in errors, errors
    assert "stack_trace" in errors, errors  # error is a Problem, which has no such field
