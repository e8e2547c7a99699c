"""The import rules `make lint` enforces (tools/check_imports.py): the repository keeps them, and
the check refuses each kind of breach (a cross-service import in code or tests, a library that
imports a service, an endpoint that imports a repository)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def _checker() -> ModuleType:
    """tools/check_imports.py, loaded by path (tools/ is not a package)."""
    if "check_imports" not in sys.modules:
        spec = importlib.util.spec_from_file_location("check_imports", REPO / "tools" / "check_imports.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses resolve their module by name
        spec.loader.exec_module(module)
    return sys.modules["check_imports"]


def _tree(root: Path, files: dict[str, str]) -> None:
    for rel, source in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)


def test_the_repository_keeps_the_rules() -> None:
    assert _checker().check(REPO) == []


def test_each_kind_of_breach_is_refused(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "services/search/src/alpr_search/holds/service.py": "import alpr_hotlist.tables\n",
            "services/search/tests/test_x.py": "from alpr_audit.app import create_app\n",
            "services/sharing/tests/conftest.py": "def f():\n    from alpr_search import app\n",
            "libs/common/src/alpr_common/_x.py": "from alpr_ingest.settings import Settings\n",
            "libs/devstack/src/alpr_devstack/y.py": "import_module('alpr_audit')\n",
            "tests/test_cross.py": "from alpr_recognition.synth import plates\n",
            "services/hotlist/src/alpr_hotlist/alerts/endpoints.py": "from . import repository\n",
            "services/hotlist/src/alpr_hotlist/entries/endpoints.py": "from ..alerts.repository import get\n",
        },
    )
    found = sorted(p.split(": ")[0] for p in _checker().check(tmp_path))
    assert found == [
        "libs/common/src/alpr_common/_x.py:1",
        "libs/devstack/src/alpr_devstack/y.py:1",
        "services/hotlist/src/alpr_hotlist/alerts/endpoints.py:1",
        "services/hotlist/src/alpr_hotlist/entries/endpoints.py:1",
        "services/search/src/alpr_search/holds/service.py:1",
        "services/search/tests/test_x.py:1",
        "services/sharing/tests/conftest.py:2",
        "tests/test_cross.py:1",
    ]


def test_what_the_rules_allow(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "services/search/src/alpr_search/app.py": "from alpr_common import ServiceSettings\n",
            "services/search/src/alpr_search/holds/endpoints.py": "from . import service\n",
            "services/search/tests/test_ok.py": "from alpr_search.app import create_app\n",
            "tests/test_by_name.py": "from alpr_devstack.testing import create_app\ncreate_app('audit', s)\n",
            "tests/bench/test_search_bench.py": "from alpr_search.searches.query import build\n",
            "libs/devstack/src/alpr_devstack/t.py": "import_module(f'alpr_{name}.app')\n",
        },
    )
    assert _checker().check(tmp_path) == []
