"""The faces plates are rendered with: every installed one of the lists, or those of the
families ``ALPR_SYNTH_FONT_FAMILIES`` names (the suite names DejaVu, so that what it renders does
not depend on the fonts a machine has)."""

from __future__ import annotations

import pytest

from alpr_recognition.synth import fonts


def test_the_suite_renders_with_dejavu_alone() -> None:
    names = [face.name for face in (*fonts.plate_faces(), *fonts.caption_faces()) if face is not None]
    assert "DejaVuSansCondensed-Bold.ttf" in names
    assert all(name.startswith("DejaVu") for name in names), names


def test_without_the_setting_every_installed_face_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALPR_SYNTH_FONT_FAMILIES")
    every = fonts.plate_faces()
    assert set(every) >= set(fonts.available(fonts.PLATE_FACES, ("DejaVu",)))
    assert every == fonts.available(fonts.PLATE_FACES)


def test_a_family_that_keeps_no_installed_face_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPR_SYNTH_FONT_FAMILIES", "DejaVo")  # misspelt
    with pytest.raises(ValueError, match="ALPR_SYNTH_FONT_FAMILIES=DejaVo keeps none of the installed faces"):
        fonts.caption_faces()
