"""Settings file: round trip, defaults, corrupt file backed up, atomic write, config dir override."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fomm_studio.settings import (
    Settings,
    config_dir,
    default_animation_path,
    load_settings,
    save_settings,
    settings_path,
)


def test_round_trip_and_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOMM_STUDIO_CONFIG_DIR", str(tmp_path / "cfg"))
    assert config_dir() == tmp_path / "cfg" and settings_path() == tmp_path / "cfg" / "settings.json"
    settings = Settings(
        avatar="/a/b.png", model_id="custom-1", mirror=False, zoom=1.5, overlay_keypoints=True
    )
    path = save_settings(settings)
    assert json.loads(path.read_text())["version"] == 1
    assert load_settings() == settings
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temp file left behind


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "none.json") == Settings()


def test_corrupt_file_gives_defaults_and_keeps_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"avatar": "x.png", ')
    assert load_settings(path) == Settings()
    backup = tmp_path / "settings.json.corrupt-1"
    assert backup.read_text() == '{"avatar": "x.png", '
    load_settings(path)
    assert (tmp_path / "settings.json.corrupt-2").is_file()  # an earlier backup is never overwritten


def test_wrong_types_and_unknown_keys_fall_back_per_key(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"mirror": "yes", "zoom": 2, "face_crop": 1, "camera": "1", "future": True}))
    loaded = load_settings(path)
    assert loaded.mirror is True and loaded.face_crop is True  # wrong types -> defaults
    assert loaded.zoom == 2.0 and loaded.camera == "1"
    path.write_text("[1, 2]")
    assert load_settings(path) == Settings()


def test_animations_default_to_the_output_folder_never_beside_the_driving_video(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    driving = tmp_path / "install" / "assets" / "sample_driving.mp4"
    path = default_animation_path(Settings(), Path("avatars/astronaut.png"), driving)
    assert path == tmp_path / "home" / "Videos" / "FOMM Studio" / "astronaut-sample_driving.mp4"
    chosen = Settings(output_dir=str(tmp_path / "mine"))
    first = default_animation_path(chosen, Path("a.png"), driving)
    first.parent.mkdir(parents=True)
    first.write_bytes(b"earlier result")
    assert (
        default_animation_path(chosen, Path("a.png"), driving) == tmp_path / "mine" / "a-sample_driving-2.mp4"
    )
