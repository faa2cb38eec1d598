"""The synthetic talking-head generator: reproducible, moving (globally and locally), licensed, laid out."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import av
import numpy as np
import pytest

from trainer.synthetic import SyntheticDatasetError, SynthOptions, generate_dataset, render_video
from trainer.synthetic.cartoon import FaceState, draw_head, random_cartoon_face
from trainer.synthetic.photo import displacement, draw_photo, random_photo_subject
from trainer.synthetic.render import LoopingCartoon
from trainer.synthetic.trajectory import MotionLimits, MotionStyle, blink_signal, random_head_motion


def test_same_seed_gives_identical_frames_and_other_seed_differs() -> None:
    first = render_video((7, 0, 3), frames=6, size=64)
    again = render_video((7, 0, 3), frames=6, size=64)
    other = render_video((7, 0, 4), frames=6, size=64)
    assert first.frames.shape == (6, 64, 64, 3) and first.frames.dtype == np.uint8
    np.testing.assert_array_equal(first.frames, again.frames)
    assert np.abs(first.frames.astype(int) - other.frames.astype(int)).mean() > 5.0


@pytest.mark.parametrize("seed", [0, 2, 3, 11])  # cartoon and photo subjects both occur among these
def test_consecutive_frames_differ(seed: int) -> None:
    frames = render_video(seed, frames=12, size=64).frames.astype(np.int16)
    step = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))
    assert (step > 0.05).all()
    assert np.abs(frames[-1] - frames[0]).mean() > 1.0  # and they drift somewhere over time


def test_motion_stays_in_its_ranges_and_blinks() -> None:
    motion = random_head_motion(np.random.default_rng(5), 150)
    assert np.abs(motion.angle).max() <= 20.0 and np.abs(motion.scale - 1.0).max() <= 0.15
    assert motion.mouth.min() >= 0.0 and motion.mouth.max() <= 1.0 and motion.mouth.max() > 0.3
    closure = blink_signal(np.random.default_rng(1), 150)
    assert closure.max() > 0.95 and (closure == 0).mean() > 0.5  # eyes mostly open, really closing


def test_motion_scale_enlarges_the_same_curves_and_leaves_expressions_alone() -> None:
    base = random_head_motion(np.random.default_rng(8), 60)
    double = random_head_motion(np.random.default_rng(8), 60, MotionLimits().scaled(2.0))
    np.testing.assert_allclose(double.angle, 2.0 * base.angle, rtol=1e-5)
    np.testing.assert_allclose(double.shift_x, 2.0 * base.shift_x, rtol=1e-5)
    np.testing.assert_allclose(double.scale - 1.0, 2.0 * (base.scale - 1.0), atol=1e-6)
    assert np.abs(double.turn).max() <= 1.0 and np.abs(double.turn).mean() > np.abs(base.turn).mean()
    for name in ("blink", "mouth", "jaw", "brows", "background_x"):
        np.testing.assert_array_equal(getattr(double, name), getattr(base, name))


def test_larger_motion_moves_the_rendered_head_further() -> None:
    def drift(scale: float) -> float:
        frames = render_video(
            (2, 0, 5), frames=24, size=64, kind="cartoon", style=MotionStyle(scale=scale)
        ).frames
        return float(np.abs(frames.astype(int) - frames[:1].astype(int)).mean())

    still, default, double = drift(0.0), drift(1.0), drift(2.0)
    assert still < default < double
    assert double > 1.3 * default


def test_cartoon_blink_changes_only_the_eye_region() -> None:
    face = random_cartoon_face(np.random.default_rng(3), 128)
    open_rgb, open_alpha = draw_head(face, FaceState(blink=0.0))
    shut_rgb, shut_alpha = draw_head(face, FaceState(blink=1.0))
    changed = np.abs(open_rgb - shut_rgb).sum(axis=2) > 30
    eye_y = face.center[1] - face.eye_height * face.radii[1]
    rows = np.nonzero(changed.any(axis=1))[0]
    assert changed.sum() > 20
    assert abs(rows.mean() - eye_y) < 0.3 * face.radii[1]  # around the eyes, not the mouth
    np.testing.assert_array_equal(open_alpha, shut_alpha)  # the outline does not move


def test_cartoon_mouth_and_jaw_move_the_lower_face() -> None:
    face = dataclasses.replace(
        random_cartoon_face(np.random.default_rng(4), 128), hair_style=2
    )  # no long hair
    closed, closed_alpha = draw_head(face, FaceState(mouth=0.0, jaw=0.0))
    opened, opened_alpha = draw_head(face, FaceState(mouth=1.0, jaw=1.0))
    rows = np.nonzero((np.abs(closed - opened).sum(axis=2) > 30).any(axis=1))[0]
    assert rows.min() > face.center[1]  # below the head centre only
    assert opened_alpha.sum() > closed_alpha.sum()  # the chin drops


def test_photo_local_warp_moves_eyes_and_mouth_but_not_far_pixels() -> None:
    subject = random_photo_subject(np.random.default_rng(0), 128)
    dx, dy = displacement(subject, FaceState(blink=1.0, mouth=1.0))
    (ex, ey), (mx, my) = subject.eyes[0], subject.mouth
    assert abs(dy[round(ey), round(ex)]) > 1.0
    assert abs(dy[round(my) + 3, round(mx)]) > 0.3
    assert abs(dy[2, 2]) < 0.01 and abs(dx[2, 2]) < 0.01
    rest = draw_photo(subject, FaceState())
    moved = draw_photo(subject, FaceState(blink=1.0, mouth=1.0))
    assert np.abs(rest - moved)[..., :3].max() > 20.0


def _decoded_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def test_dataset_layout_videos_and_license_readme(tmp_path: Path) -> None:
    written = generate_dataset(tmp_path, SynthOptions(videos=3, frames=5, size=64, seed=1))
    train, test = sorted((tmp_path / "train").glob("*.mp4")), sorted((tmp_path / "test").glob("*.mp4"))
    assert len(train) == 2 and len(test) == 1 and len(written) == 3
    frames = _decoded_frames(train[0])
    assert len(frames) == 5 and frames[0].shape == (64, 64, 3)
    expected = render_video((1, 0, 0), 5, 64).frames[0].astype(int)
    assert np.abs(frames[0].astype(int) - expected).mean() < 6.0  # the file holds the rendered video
    readme = (tmp_path / "README.md").read_text()
    for needle in ("astronaut", "public domain", "CC0", "--seed 1", "No real video"):
        assert needle in readme


def test_png_format_writes_frame_folders(tmp_path: Path) -> None:
    generate_dataset(tmp_path, SynthOptions(videos=2, frames=3, size=32, format="png"))
    folders = sorted(p for p in (tmp_path / "train").iterdir())
    assert [p.name for p in sorted(folders[0].iterdir())] == ["0000000.png", "0000001.png", "0000002.png"]


def test_existing_dataset_needs_overwrite_and_bad_arguments_are_named(tmp_path: Path) -> None:
    generate_dataset(tmp_path, SynthOptions(videos=2, frames=2, size=32))
    with pytest.raises(SyntheticDatasetError, match="already holds train/, test/"):
        generate_dataset(tmp_path, SynthOptions(videos=2, frames=2, size=32))
    generate_dataset(tmp_path, SynthOptions(videos=2, frames=2, size=32), overwrite=True)
    with pytest.raises(SyntheticDatasetError, match="--videos must be at least 2"):
        generate_dataset(tmp_path / "x", SynthOptions(videos=1))
    with pytest.raises(SyntheticDatasetError, match="--size must be an even"):
        generate_dataset(tmp_path / "x", SynthOptions(size=33))
    with pytest.raises(SyntheticDatasetError, match="--motion must be between 0 and 3, got 4"):
        generate_dataset(tmp_path / "x", SynthOptions(motion=4.0))


def test_cli_synth_writes_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fomm_studio.cli import main

    code = main(
        ["synth", "--out", str(tmp_path / "ds"), "--videos", "2", "--frames", "3", "--size", "32", "--quiet"]
    )
    assert code == 0
    assert "wrote 2 videos (1 train, 1 test)" in capsys.readouterr().out
    assert (tmp_path / "ds" / "README.md").is_file()
    assert (
        main(["synth", "--out", str(tmp_path / "ds"), "--videos", "2", "--frames", "3", "--size", "32"]) == 2
    )
    assert "already holds" in capsys.readouterr().err


def test_cli_synth_motion_reaches_the_videos_and_the_readme(tmp_path: Path) -> None:
    from fomm_studio.cli import main

    args = ["--videos", "2", "--frames", "6", "--size", "64", "--quiet"]
    assert main(["synth", "--out", str(tmp_path / "far"), "--motion", "2.5", *args]) == 0
    assert "--motion 2.5" in (tmp_path / "far" / "README.md").read_text()
    decoded = _decoded_frames(next((tmp_path / "far" / "train").glob("*.mp4")))
    expected = render_video((0, 0, 0), 6, 64, style=MotionStyle(scale=2.5)).frames
    default = render_video((0, 0, 0), 6, 64).frames
    error = np.abs(np.stack(decoded).astype(int) - expected.astype(int)).mean()
    assert error < 6.0 and error < np.abs(default.astype(int) - expected.astype(int)).mean()


def test_looping_cartoon_is_deterministic_moves_and_loops() -> None:
    cartoon = LoopingCartoon(3, 64, period=40)
    frames = [cartoon.frame(i) for i in range(40)]
    assert frames[0].shape == (64, 64, 3) and frames[0].dtype == np.uint8
    assert all(not np.array_equal(a, b) for a, b in itertools.pairwise(frames))
    assert np.array_equal(LoopingCartoon(3, 64, period=40).frame(17), frames[17])
    assert np.array_equal(cartoon.frame(40 + 17), frames[17])
    wrap = np.abs(frames[-1].astype(int) - frames[0]).mean()
    far = np.abs(frames[20].astype(int) - frames[0]).mean()
    assert wrap < far  # the last frame flows into the first
    x, y = cartoon.head_center(0)
    assert 0 < x < 64 and 0 < y < 64
