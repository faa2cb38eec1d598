"""Config parsing: original files load unchanged; bad keys and types are named with the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from engine import ConfigError, config_from_dict, config_to_dict, load_config


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_original_small_config_loads(golden_dir: Path) -> None:
    config = load_config(golden_dir / "small" / "config.yaml")
    assert config.model_params.common_params.num_kp == 10
    assert config.train_params.loss_weights.perceptual == (10, 10, 10, 10, 10)
    assert config.frame_size == 256


def test_round_trip_through_dict(tiny_config_path: Path) -> None:
    config = load_config(tiny_config_path)
    assert config_from_dict(config_to_dict(config)) == config


def test_unknown_key_is_named_with_file(tmp_path: Path, tiny_config_path: Path) -> None:
    raw = yaml.safe_load(tiny_config_path.read_text())
    raw["model_params"]["kp_detector_params"]["num_blokcs"] = 3
    path = write(tmp_path, raw)
    with pytest.raises(
        ConfigError, match=r"config\.yaml: unknown key 'model_params\.kp_detector_params\.num_blokcs'"
    ):
        load_config(path)


def test_missing_key_is_named(tmp_path: Path, tiny_config_path: Path) -> None:
    raw = yaml.safe_load(tiny_config_path.read_text())
    del raw["model_params"]["common_params"]["num_kp"]
    with pytest.raises(ConfigError, match=r"missing key 'model_params\.common_params\.num_kp'"):
        load_config(write(tmp_path, raw))


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("common_params", "num_kp", "ten", "must be an integer"),
        ("common_params", "estimate_jacobian", 1, "must be true or false"),
        ("kp_detector_params", "temperature", "hot", "must be a number"),
    ],
)
def test_wrong_type_is_named(
    tmp_path: Path, tiny_config_path: Path, section: str, key: str, value: object, message: str
) -> None:
    raw = yaml.safe_load(tiny_config_path.read_text())
    raw["model_params"][section][key] = value
    with pytest.raises(ConfigError, match=rf"'model_params\.{section}\.{key}' {message}"):
        load_config(write(tmp_path, raw))


def test_missing_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.yaml: config file not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model_params: [unclosed")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML"):
        load_config(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match=r"list.yaml: not a FOMM config \(a YAML file with"):
        load_config(listy)
    binary = tmp_path / "model.pth.tar"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(ConfigError, match=r"model.pth.tar: not a FOMM config .*binary file: a checkpoint\?"):
        load_config(binary)
