"""The shipped weights: saved as half-precision state dicts with their metadata, loaded offline."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

WEIGHTS_DIR = Path(__file__).parent / "weights"


def save_weights(name: str, model: torch.nn.Module, out_dir: Path, meta: dict[str, Any]) -> Path:
    """Writes ``<name>.pt`` (fp16 tensors, halving the repo's share) and ``<name>.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    path = out_dir / f"{name}.pt"
    torch.save(state, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (out_dir / f"{name}.json").write_text(json.dumps({**meta, "sha256": digest}, indent=2) + "\n")
    return path


def load_weights(name: str, model: torch.nn.Module, directory: Path = WEIGHTS_DIR) -> dict[str, Any]:
    """Loads ``<name>.pt`` into ``model`` (fp32) and returns its metadata; never touches the network."""
    state = torch.load(directory / f"{name}.pt", map_location="cpu", weights_only=True)
    model.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in state.items()})
    meta_path = directory / f"{name}.json"
    meta: dict[str, Any] = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    return meta
