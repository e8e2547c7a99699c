"""alpr_common presents one small public surface: ``__all__`` names exactly what it exports."""

import importlib

import alpr_common


def test_all_names_exist_and_are_public() -> None:
    for name in alpr_common.__all__:
        assert hasattr(alpr_common, name), name
    public = {n for n in vars(alpr_common) if not n.startswith("_")}
    modules = {n for n in public if isinstance(getattr(alpr_common, n), type(importlib))}
    assert public - modules == set(alpr_common.__all__)
    assert alpr_common.__all__ == sorted(alpr_common.__all__, key=lambda n: (not n.isupper(), n))
