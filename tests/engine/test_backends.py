"""Inference backends: the OpenVINO export against torch, its on-disk cache (reuse, stale and corrupt
entries rebuilt), the fidelity guard refusing a broken export, and the fallback without OpenVINO.

The real export of the tiny models runs once per test run (`tiny_export` in tests/conftest.py); the
tests that only need an export to happen replace it with one returning those files, and count calls.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from engine import AnimationSession, FommModels
from engine.backends import openvino_backend
from engine.backends.base import BackendUnavailableError
from engine.backends.cache import CacheKey, read_entry, weights_digest, write_entry
from engine.backends.choice import MIN_PSNR_DB, build_backend, prepare_backend, probe_clip, psnr
from engine.errors import FommError


def entry_files(models: FommModels, entry: Path) -> tuple[CacheKey, dict[str, bytes]]:
    key = openvino_backend.cache_key(models)
    return key, read_entry(entry, key)


@pytest.fixture()
def cache_dir(tmp_path: Path, tiny_models: FommModels, tiny_export: Path) -> Path:
    """A private cache holding the tiny models' entry (a copy of the run's)."""
    folder = tmp_path / "cache"
    folder.mkdir()
    shutil.copy(tiny_export, folder / tiny_export.name)
    return folder


class CountingExport:
    """Stands in for `export_graphs`: returns the real export's files and counts the calls."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.calls = files, 0

    def __call__(self, models: FommModels, cancel: object = None) -> dict[str, bytes]:
        self.calls += 1
        return dict(self.files)


def test_openvino_frames_match_torch_with_the_same_result_structure(
    tiny_models: FommModels, cache_dir: Path
) -> None:
    backend, how = build_backend(tiny_models, "openvino", cache_dir)
    assert how.startswith("loaded from the cache")
    clip = probe_clip(64, 4)
    reference, tested = AnimationSession(tiny_models), AnimationSession(tiny_models)
    tested.set_backend(backend)
    for session in (reference, tested):
        session.set_source(clip[0])
    for frame in clip[1:]:
        want, got = reference.animate(frame, with_extras=False), tested.animate(frame, with_extras=False)
        assert (want.backend, got.backend) == ("torch", "openvino")
        assert psnr([got.image], [want.image])[1] > 60
        for kp in ("kp_driving", "kp_norm"):
            np.testing.assert_allclose(getattr(got, kp).value, getattr(want, kp).value, atol=1e-4)
            np.testing.assert_allclose(getattr(got, kp).jacobian, getattr(want, kp).jacobian, atol=1e-4)
        assert got.occlusion_map is None and got.heatmaps is None
    # an overlay array needs the torch networks: that frame runs there, everything present
    full = tested.animate(clip[1], with_extras=True)
    assert full.backend == "torch"
    assert all(getattr(full, name) is not None for name in ("occlusion_map", "mask", "heatmaps", "deformed"))
    assert tested.animate(clip[1], with_extras={"driving"}).backend == "openvino"


def test_a_frame_asking_only_for_the_motion_stays_on_openvino_and_matches_torch(
    tiny_models: FommModels, cache_dir: Path
) -> None:
    """Detail transfer needs the flow and occlusion each frame: the exported backend hands back what its
    dense motion graph computed instead of the frame being re-run on torch."""
    backend, _ = build_backend(tiny_models, "openvino", cache_dir)
    clip = probe_clip(64, 4)
    reference, tested = AnimationSession(tiny_models), AnimationSession(tiny_models)
    tested.set_backend(backend)
    for session in (reference, tested):
        session.set_source(clip[0])
    motion = {"deformation", "occlusion_map"}
    for frame in clip[1:]:
        want, got = reference.animate(frame, with_extras=motion), tested.animate(frame, with_extras=motion)
        assert (want.backend, got.backend) == ("torch", "openvino")
        assert got.deformation is not None and want.deformation is not None
        assert got.occlusion_map is not None and want.occlusion_map is not None
        assert got.deformation.shape == want.deformation.shape and got.deformation.shape[-1] == 2
        assert got.occlusion_map.shape == want.occlusion_map.shape == got.deformation.shape[:2]
        np.testing.assert_allclose(got.deformation, want.deformation, atol=3e-3)
        np.testing.assert_allclose(got.occlusion_map, want.occlusion_map, atol=3e-3)
        assert got.mask is None and got.heatmaps is None
    # the motion belongs to its frame: a different driving frame gives a different flow
    first = tested.animate(clip[1], with_extras={"deformation"}).deformation
    second = tested.animate(clip[3], with_extras={"deformation"}).deformation
    assert first is not None and second is not None and np.abs(first - second).max() > 1e-3
    assert tested.animate(clip[1], with_extras={"deformation", "mask"}).backend == "torch"


def test_second_build_loads_from_the_cache_without_exporting(
    tiny_models: FommModels, tiny_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = CountingExport(entry_files(tiny_models, tiny_export)[1])
    monkeypatch.setattr(openvino_backend, "export_graphs", export)
    first = openvino_backend.build_openvino_backends(tiny_models, ["openvino"], tmp_path)[1]
    second = openvino_backend.build_openvino_backends(tiny_models, ["openvino"], tmp_path)[1]
    assert first.startswith("exported") and second.startswith("loaded from the cache")
    assert export.calls == 1
    assert [p.name for p in tmp_path.iterdir()] == [
        openvino_backend.cache_key(tiny_models).path(tmp_path).name
    ]


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:500])


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00not a zip" * 100)


def _altered_member(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["decode.bin"] = members["decode.bin"][:-8] + b"\x01" * 8  # a recorded hash no longer matches
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _other_runtime(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["manifest.json"] = members["manifest.json"].replace(
        b'"runtime_version": "', b'"runtime_version": "0.'
    )
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("damage", [_truncate, _garbage, _altered_member, _other_runtime])
def test_a_stale_or_corrupt_entry_is_rebuilt_never_used(
    damage, tiny_models: FommModels, tiny_export: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, files = entry_files(tiny_models, tiny_export)
    entry = key.path(cache_dir)
    damage(entry)
    export = CountingExport(files)
    monkeypatch.setattr(openvino_backend, "export_graphs", export)
    backends, how = openvino_backend.build_openvino_backends(tiny_models, ["openvino"], cache_dir)
    assert how.startswith("rebuilt (the cache entry was stale") and export.calls == 1
    assert read_entry(entry, key) == files  # rewritten whole
    assert backends["openvino"].name == "openvino"


def _perturbed(files: dict[str, bytes]) -> dict[str, bytes]:
    """The export with the generator's last convolution negated: a broken export that still runs."""
    import openvino as ov

    core = ov.Core()
    weights = ov.Tensor(np.frombuffer(files["decode.bin"], np.uint8).copy())
    model = core.read_model(model=files["decode.xml"], weights=weights)
    (final,) = [op for op in model.get_ops() if op.get_friendly_name() == "self.generator.final.weight"]
    flipped = ov.op.Constant(-final.get_data())
    for target in final.output(0).get_target_inputs():
        target.replace_source_output(flipped.output(0))
    with tempfile.TemporaryDirectory() as folder:
        ov.save_model(model, Path(folder) / "decode.xml", compress_to_fp16=False)
        changed = {name: (Path(folder) / name).read_bytes() for name in ("decode.xml", "decode.bin")}
    return {**files, **changed}


def test_the_fidelity_guard_refuses_a_broken_export(
    tiny_models: FommModels,
    tiny_export: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key, files = entry_files(tiny_models, tiny_export)
    write_entry(key.path(tmp_path), key, _perturbed(files))
    with caplog.at_level(logging.WARNING):
        choice = prepare_backend(tiny_models, "openvino", tmp_path)
    assert choice.name == "torch" and choice.backend is None
    assert choice.guards["openvino"].psnr < MIN_PSNR_DB
    assert "refused by the fidelity guard" in choice.reason and "below the 40 dB bar" in choice.reason
    assert "refused by the fidelity guard" in caplog.text


def test_a_faithful_export_passes_the_guard(tiny_models: FommModels, cache_dir: Path) -> None:
    choice = prepare_backend(tiny_models, "openvino", cache_dir)
    assert choice.name == "openvino" and choice.backend is not None
    assert choice.guards["openvino"].psnr >= MIN_PSNR_DB and choice.guards["openvino"].frames == 4
    assert "loaded from the cache" in choice.reason


def test_without_openvino_torch_runs_and_says_how_to_get_it(
    tiny_models: FommModels, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)  # `import openvino` now raises ImportError
    for request in ("auto", "openvino", "openvino-bf16"):
        choice = prepare_backend(tiny_models, request, tmp_path)
        assert choice.name == "torch" and choice.backend is None
        assert "OpenVINO is not installed (pip install openvino==" in choice.describe()
    with pytest.raises(BackendUnavailableError, match=r"pip install openvino=="):
        build_backend(tiny_models, "openvino", tmp_path)
    assert list(tmp_path.iterdir()) == []
    session = AnimationSession(tiny_models)
    session.set_source(probe_clip(64, 1)[0])
    assert session.animate(probe_clip(64, 2)[1], with_extras=False).backend == "torch"


def test_the_guard_animates_the_given_picture() -> None:
    picture = np.zeros((40, 30, 3), np.uint8)
    picture[..., 1] = 200
    frames = probe_clip(64, 3, picture)
    assert len(frames) == 3 and all(f.shape == (64, 64, 3) for f in frames)
    assert all(np.abs(f.astype(int) - [0, 200, 0]).max() <= 1 for f in frames)
    assert not np.array_equal(*probe_clip(64, 2))  # the default picture moves


def test_requests_and_sessions_are_checked(tiny_models: FommModels, cache_dir: Path) -> None:
    with pytest.raises(FommError, match=r"backend must be one of auto, torch, openvino"):
        prepare_backend(tiny_models, "onnx", cache_dir)
    assert prepare_backend(tiny_models, "torch", cache_dir).reason == "as asked"
    backend, _ = build_backend(tiny_models, "openvino", cache_dir)
    with pytest.raises(BackendUnavailableError, match=r"needs an fp32 session on the CPU \(this one is bf16"):
        AnimationSession(tiny_models, precision="bf16").set_backend(backend)


def test_weights_digest_follows_values_not_layout(tiny_models: FommModels) -> None:
    nets = {"kp_detector": tiny_models.kp_detector, "generator": tiny_models.generator}
    before = weights_digest(nets)
    tiny_models.to_channels_last()
    assert weights_digest(nets) == before
    with torch.no_grad():
        tiny_models.generator.final.bias[0] += 1e-6
    assert weights_digest(nets) != before


def test_each_recipe_compiles_its_graphs_at_its_own_precisions(
    tiny_models: FommModels, tiny_export: Path
) -> None:
    """The mixed recipes keep the coordinate graphs (dense motion, warp) in float32: that is what keeps
    a photo above the guard's bar where one all-bf16 graph fell below it."""
    files = entry_files(tiny_models, tiny_export)[1]
    assert set(openvino_backend.RECIPES) == {
        "openvino",
        "openvino-bf16-decoder",
        "openvino-mixed",
        "openvino-bf16",
    }
    for name, recipe in openvino_backend.RECIPES.items():
        if openvino_backend.unsupported_reason(name) is not None:
            assert "bf16" in recipe.values()  # skipped only for want of native bf16
            continue
        got = openvino_backend.compile_backend(files, 1, name).precisions()
        assert {graph: value.lower() for graph, value in got.items()} == recipe
    assert openvino_backend.RECIPES["openvino-mixed"]["dense_motion"] == "f32"
    assert openvino_backend.RECIPES["openvino-mixed"]["warp"] == "f32"


def test_mixed_precision_frames_stay_close_to_torch(tiny_models: FommModels, cache_dir: Path) -> None:
    if openvino_backend.unsupported_reason("openvino-mixed") is not None:
        pytest.skip("this CPU has no native bf16: the mixed recipes are not offered here")
    backend, _ = build_backend(tiny_models, "openvino-mixed", cache_dir)
    clip = probe_clip(64, 4)
    reference, tested = AnimationSession(tiny_models), AnimationSession(tiny_models)
    tested.set_backend(backend)
    for session in (reference, tested):
        session.set_source(clip[0])
    images = [
        (reference.animate(f, with_extras=False).image, tested.animate(f, with_extras=False))
        for f in clip[1:]
    ]
    assert all(result.backend == "openvino-mixed" for _, result in images)
    assert psnr([r.image for _, r in images], [want for want, _ in images])[1] > 35


def test_the_status_line_summary_names_the_choice_and_the_refused_with_their_figures() -> None:
    from engine.backends.choice import BackendChoice, GuardReport

    guards = {
        "openvino": GuardReport(88.9, 1, 30.0, 50.0, 4),
        "openvino-mixed": GuardReport(45.8, 44, 24.0, 50.0, 4),
        "openvino-bf16": GuardReport(37.9, 128, 20.0, 50.0, 4),
    }
    chosen = BackendChoice("auto", "openvino-mixed", None, "long reason", guards)
    assert chosen.summary() == (
        "backend openvino-mixed: 45.8 dB vs torch, 2.1x its speed; below 40 dB: openvino-bf16 37.9 dB"
    )
    slow = {"openvino": GuardReport(88.9, 1, 60.0, 50.0, 4)}
    assert BackendChoice("auto", "torch", None, "r", slow).summary() == (
        "backend torch; not faster than torch: openvino"
    )
    assert BackendChoice("auto", "torch", None, "openvino unavailable: x").summary() == (
        "backend torch: openvino unavailable: x"
    )
