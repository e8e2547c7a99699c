"""The import rules of the monorepo, checked over every module's syntax tree (run by `make lint`).

1. A service's code and its tests import no other service's package: services talk over REST
   through the typed clients in alpr_common; a test that needs another service loads it by
   name through alpr_devstack (``create_app("audit", ...)``, ``serve_audit``) or runs it as a
   process.
2. The libraries (libs/*, their tests too) import no service package: they sit below the
   services and reach them only by module name (entry points, ``import_module(f"alpr_{name}...")``,
   ``uvicorn alpr_x.app:create_app``), never by a literal import.
3. The cross-service tests (top-level tests/) import no service package either, except that a
   benchmark named for a service (tests/bench/test_<service>_*.py) may import that service.
4. Endpoint modules (``endpoints.py``, ``routes.py``, ``routers.py``) import no repository
   module: a route calls a service function, and SQL lives behind it.

Imports anywhere in a module count (inside functions and ``TYPE_CHECKING`` too), and so does a
literal module name given to ``import_module`` or ``__import__``. Known exceptions are listed in
``ALLOWED`` with why; one that no longer occurs must be removed, so the list only shrinks.

Usage: ``python tools/check_imports.py [ROOT]`` (exit 1 and one line per finding on a breach).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SERVICES = ("ingest", "recognition", "hotlist", "search", "audit", "sharing")
PACKAGES = {f"alpr_{name}": name for name in SERVICES}
ENDPOINT_MODULES = {"endpoints.py", "routes.py", "routers.py"}
REPOSITORY_NAMES = {"repository", "repositories"}
SCANNED = ("libs", "services", "tests")

# (file, what it imports) -> why it is allowed for now. Each is a debt: fix it, then delete it.
ALLOWED: dict[tuple[str, str], str] = {
    ("libs/common/tests/test_production_mode.py", "alpr_audit"): (
        "audit's signing key helpers; alpr_devstack.testing.audit_signing_key replaces them"
    ),
    ("libs/common/tests/test_auth_dependencies.py", "alpr_audit"): (
        "audit's Settings as a sample service's settings; infra.settings('audit') replaces it"
    ),
    ("tests/attacks/test_edges.py", "alpr_audit"): "serve_audit replaces it",
    ("tests/attacks/test_edges.py", "alpr_ingest"): "create_app('ingest', ...) replaces it",
    ("tests/attacks/test_outbound_and_sharing.py", "alpr_audit"): "serve_audit replaces it",
    ("tests/bench/test_search_bench.py", "alpr_audit"): "audit_signing_key replaces it",
    ("tests/test_devstack.py", "alpr_recognition"): (
        "renders a plate the shipped model reads (recognition's synth); no image ships to use instead"
    ),
}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    imported: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def imported_modules(tree: ast.Module, module: str) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every module ``tree`` imports; ``module`` resolves relative ones."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")[: -node.level] if module else []
                base = ".".join([*parent, *([base] if base else [])])
            yield node.lineno, base
            for alias in node.names:  # `from . import repository` imports a module by name
                yield node.lineno, f"{base}.{alias.name}" if base else alias.name
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Name) and node.func.id in {"import_module", "__import__"})
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def module_name(rel: Path) -> str:
    """The dotted module of a file under some ``src/`` (``""`` elsewhere: tests are not packages)."""
    parts = rel.with_suffix("").parts
    if "src" not in parts:
        return ""
    names = list(parts[parts.index("src") + 1 :])
    if names and names[-1] == "__init__":
        names.pop()
    return ".".join(names)


def own_service(rel: Path) -> str | None:
    """The service whose package ``rel`` may import (its own), if any."""
    parts = rel.parts
    if parts[0] == "services" and len(parts) > 1:
        return parts[1]
    if parts[:2] == ("tests", "bench") and rel.name.startswith("test_"):
        named = rel.name.removeprefix("test_").split("_")[0]
        return named if named in SERVICES else None
    return None


def check_file(root: Path, path: Path) -> list[Finding]:
    rel = path.relative_to(root)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(rel))
    mine = own_service(rel)
    endpoint = rel.parts[0] == "services" and "src" in rel.parts and rel.name in ENDPOINT_MODULES
    findings: list[Finding] = []
    seen: set[tuple[int, str]] = set()
    for line, name in imported_modules(tree, module_name(rel)):
        top = name.split(".")[0]
        if top in PACKAGES and PACKAGES[top] != mine and (line, top) not in seen:
            seen.add((line, top))
            where = f"service {mine}" if mine else rel.parts[0]
            message = f"{where} imports {top} (another service's package)"
            findings.append(Finding(str(rel), line, top, message))
        if endpoint and REPOSITORY_NAMES & set(name.split(".")) and (line, "repository") not in seen:
            seen.add((line, "repository"))
            findings.append(Finding(str(rel), line, "repository", f"an endpoint module imports {name}"))
    return findings


def python_files(root: Path) -> Iterator[Path]:
    for top in SCANNED:
        for path in sorted((root / top).rglob("*.py")):
            if not {".venv", "node_modules", "__pycache__"} & set(path.parts):
                yield path


def check(root: Path) -> list[str]:
    """Every breach of the rules under ``root``, and every allowance that is no longer needed."""
    problems: list[str] = []
    used: set[tuple[str, str]] = set()
    for path in python_files(root):
        for finding in check_file(root, path):
            key = (finding.path, finding.imported)
            if key in ALLOWED:
                used.add(key)
            else:
                problems.append(str(finding))
    for key in sorted(ALLOWED.keys() - used) if root == REPO else []:
        problems.append(f"{key[0]}: allowed import of {key[1]} no longer occurs: remove it from ALLOWED")
    return problems


REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    root = Path(argv[1]).resolve() if len(argv) > 1 else REPO
    problems = check(root)
    for problem in problems:
        sys.stderr.write(f"{problem}\n")
    if problems:
        sys.stderr.write(f"import rules: {len(problems)} problem(s) (tools/check_imports.py)\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
