"""FOMM configs: frozen dataclasses that mirror the original YAML files section by section.

An original config file loads unchanged. Parsing lives in one place (`load_config` /
`config_from_dict`); an unknown, missing or mistyped key raises `ConfigError` naming the file and
the dotted key, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, Union

import yaml

from engine.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class FlipParams:
    """dataset_params.augmentation_params.flip_param: mirror the pair left-right, swap its time order."""

    horizontal_flip: bool = False
    time_flip: bool = False


@dataclass(frozen=True)
class JitterParams:
    """augmentation_params.jitter_param: random colour jitter applied alike to both frames."""

    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    hue: float = 0.0


@dataclass(frozen=True)
class CropParams:
    """augmentation_params.crop_param: random crop of the pair to `size` (the original's format)."""

    size: tuple[int, ...] = (256, 256)


@dataclass(frozen=True)
class ResizeParams:
    """augmentation_params.resize_param: random rescale of the pair (the original's format)."""

    ratio: tuple[float, ...] = (1.0, 1.0)


@dataclass(frozen=True)
class AugmentationParams:
    """dataset_params.augmentation_params: what the trainer varies so the model generalises."""

    flip_param: FlipParams | None = None
    jitter_param: JitterParams | None = None
    crop_param: CropParams | None = None
    resize_param: ResizeParams | None = None


@dataclass(frozen=True)
class DatasetParams:
    """dataset_params: where the videos are and the frame shape every frame is resized to."""

    root_dir: str = ""
    frame_shape: tuple[int, ...] = (256, 256, 3)
    id_sampling: bool = False
    pairs_list: str | None = None
    augmentation_params: AugmentationParams = field(default_factory=AugmentationParams)


@dataclass(frozen=True)
class CommonParams:
    """model_params.common_params: K keypoints, image channels, and whether keypoints carry Jacobians."""

    num_kp: int
    num_channels: int
    estimate_jacobian: bool


@dataclass(frozen=True)
class KPDetectorParams:
    """model_params.kp_detector_params: the keypoint hourglass (Sec. 3.1); softmax temperature."""

    temperature: float
    block_expansion: int
    max_features: int
    num_blocks: int
    scale_factor: float = 1.0
    single_jacobian_map: bool = False
    pad: int = 0


@dataclass(frozen=True)
class DenseMotionParams:
    """generator_params.dense_motion_params: the hourglass predicting masks and occlusion (Sec. 3.2)."""

    block_expansion: int
    max_features: int
    num_blocks: int
    scale_factor: float = 1.0
    kp_variance: float = 0.01


@dataclass(frozen=True)
class GeneratorParams:
    """model_params.generator_params: the occlusion-aware encoder-decoder (Sec. 3.2)."""

    block_expansion: int
    max_features: int
    num_down_blocks: int
    num_bottleneck_blocks: int
    estimate_occlusion_map: bool = False
    dense_motion_params: DenseMotionParams | None = None


@dataclass(frozen=True)
class DiscriminatorParams:
    """model_params.discriminator_params: the multi-scale patch discriminator of the adv configs."""

    scales: tuple[float, ...] = (1.0,)
    block_expansion: int = 64
    max_features: int = 512
    num_blocks: int = 4
    sn: bool = False
    use_kp: bool = False
    kp_variance: float = 0.01


@dataclass(frozen=True)
class ModelParams:
    """model_params: the three networks' sections."""

    common_params: CommonParams
    kp_detector_params: KPDetectorParams
    generator_params: GeneratorParams
    discriminator_params: DiscriminatorParams = field(default_factory=DiscriminatorParams)


@dataclass(frozen=True)
class TransformParams:
    """train_params.transform_params: the random TPS warps of the equivariance losses (Sec. 3.3)."""

    sigma_affine: float
    sigma_tps: float
    points_tps: int


@dataclass(frozen=True)
class LossWeights:
    """train_params.loss_weights: weight of each loss term (perceptual per VGG layer, per scale)."""

    generator_gan: float = 0.0
    discriminator_gan: float = 1.0
    feature_matching: tuple[float, ...] = (10.0, 10.0, 10.0, 10.0)
    perceptual: tuple[float, ...] = (10.0, 10.0, 10.0, 10.0, 10.0)
    equivariance_value: float = 10.0
    equivariance_jacobian: float = 10.0


@dataclass(frozen=True)
class TrainParams:
    """train_params: schedule, batch, pyramid scales and losses of a training run."""

    num_epochs: int = 100
    num_repeats: int = 1
    epoch_milestones: tuple[int, ...] = ()
    lr_generator: float = 2e-4
    lr_discriminator: float = 2e-4
    lr_kp_detector: float = 2e-4
    batch_size: int = 1
    scales: tuple[float, ...] = (1.0, 0.5, 0.25, 0.125)
    checkpoint_freq: int = 50
    transform_params: TransformParams | None = None
    loss_weights: LossWeights = field(default_factory=LossWeights)
    # FOMM Studio additions (absent from the original files, so optional with neutral defaults):
    # "vgg19" is the paper's loss; "pyramid_l1_ssim" is the documented weights-free alternative.
    perceptual_backend: str = "vgg19"
    vgg19_weights: str | None = None


@dataclass(frozen=True)
class NormalizationParams:
    """animate_params.normalization_params: relative motion settings (Sec. 3.4, Eq. 10-11)."""

    adapt_movement_scale: bool = False
    use_relative_movement: bool = False
    use_relative_jacobian: bool = False


@dataclass(frozen=True)
class ReconstructionParams:
    """reconstruction_params: the original evaluation script's settings (kept for round trips)."""

    num_videos: int | None = None
    format: str = ".mp4"


@dataclass(frozen=True)
class AnimateParams:
    """animate_params: the original animation script's settings (kept for round trips)."""

    num_pairs: int = 50
    format: str = ".mp4"
    normalization_params: NormalizationParams = field(default_factory=NormalizationParams)


@dataclass(frozen=True)
class VisualizerParams:
    """visualizer_params: the original visualiser's settings (kept for round trips)."""

    kp_size: int = 5
    draw_border: bool = True
    colormap: str = "gist_rainbow"


@dataclass(frozen=True)
class FommConfig:
    """One original-format YAML config: every section, frozen (a run's config never changes under it)."""

    model_params: ModelParams
    dataset_params: DatasetParams = field(default_factory=DatasetParams)
    train_params: TrainParams = field(default_factory=TrainParams)
    reconstruction_params: ReconstructionParams = field(default_factory=ReconstructionParams)
    animate_params: AnimateParams = field(default_factory=AnimateParams)
    visualizer_params: VisualizerParams = field(default_factory=VisualizerParams)

    @property
    def frame_size(self) -> int:
        """Side of the square frames the models were trained on (the original configs use 256)."""
        return int(self.dataset_params.frame_shape[0])


NOT_A_CONFIG = "not a FOMM config (a YAML file with dataset_params, model_params, train_params)"


def load_config(path: str | Path) -> FommConfig:
    """Read an original-format YAML config; errors name `path` and the offending dotted key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: {NOT_A_CONFIG} (it is a binary file: a checkpoint?)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror or exc})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: {NOT_A_CONFIG}")
    return config_from_dict(raw, source=str(path))


def config_from_dict(raw: object, source: str = "<config>") -> FommConfig:
    """Build a `FommConfig` from parsed YAML (a dict); `source` names it in error messages."""
    return _build(FommConfig, raw, source, "")


def config_to_dict(config: FommConfig) -> dict[str, Any]:
    """Plain dict (lists, not tuples) in the original YAML layout, ready for `yaml.safe_dump`."""

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        return value

    return typing.cast(dict[str, Any], plain(config))


def _build(cls: type[T], raw: object, source: str, prefix: str) -> T:
    where = prefix or "top level"
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: {where}: expected a mapping, got {type(raw).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in raw:
        if key not in fields:
            raise ConfigError(f"{source}: unknown key '{_join(prefix, str(key))}'")
    values: dict[str, Any] = {}
    for name, fld in fields.items():
        dotted = _join(prefix, name)
        if name not in raw:
            has_default = (
                fld.default is not dataclasses.MISSING or fld.default_factory is not dataclasses.MISSING
            )
            if not has_default:
                raise ConfigError(f"{source}: missing key '{dotted}'")
            continue
        values[name] = _convert(hints[name], raw[name], source, dotted)
    return cls(**values)


def _convert(tp: Any, value: Any, source: str, dotted: str) -> Any:
    """`value` checked and converted to the schema type `tp`; errors name the file and dotted key."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return None if value is None else _convert(options[0], value, source, dotted)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, source, dotted)  # type: ignore[arg-type]
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{source}: '{dotted}' must be a list, got {value!r}")
        item_type = typing.get_args(tp)[0]
        return tuple(_convert(item_type, v, source, f"{dotted}[{i}]") for i, v in enumerate(value))
    if tp not in _SCALARS:
        raise TypeError(f"config schema has an unsupported type {tp!r} at {dotted}")  # a bug, not user input
    accepts, what = _SCALARS[tp]
    if isinstance(value, bool) != (tp is bool) or not accepts(value):
        raise ConfigError(f"{source}: '{dotted}' must be {what}, got {value!r}")
    return float(value) if tp is float else value


# Scalar schema types: (does a YAML value qualify, how an error names the type). bool is checked apart
# (YAML's true is also a Python int).
_SCALARS: dict[Any, tuple[Any, str]] = {
    bool: (lambda v: isinstance(v, bool), "true or false"),
    int: (lambda v: isinstance(v, int), "an integer"),
    float: (lambda v: isinstance(v, (int, float)), "a number"),
    str: (lambda v: isinstance(v, str), "a string"),
}


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key
