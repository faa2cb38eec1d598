"""Dataset discovery, frame cache, report of unreadable files, pair samples and the epoch sampler."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from engine import load_config
from tests.trainer.videos import make_frames, write_frame_folder, write_mp4
from trainer.frame_pairs import EpochPlan, EpochSampler, PairDataset
from trainer.video_cache import DatasetError, ScanCancelledError, scan_dataset, scan_videos, split_flat


def test_scan_decodes_mp4_and_frame_folders(video_dataset: Path, frame_cache: Path) -> None:
    report = scan_dataset(video_dataset, (32, 32, 3), frame_cache)
    assert (len(report.train), len(report.test), report.unreadable) == (4, 1, [])
    mp4 = next(e for e in report.train if e.name == "video0.mp4")
    assert mp4.num_frames == 12 and mp4.source_size == (64, 64) and mp4.fps == pytest.approx(10.0)
    frames = np.load(mp4.cache)
    assert frames.shape == (12, 32, 32, 3) and frames.dtype == np.uint8
    assert "4 train, 1 test videos" in report.summary()


def test_cache_is_reused_until_the_video_changes(tmp_path: Path) -> None:
    root = tmp_path / "data"
    write_frame_folder(root / "a", make_frames(1, 4))
    write_frame_folder(root / "b", make_frames(2, 4))
    cache = tmp_path / "cache"
    first = scan_dataset(root, (16, 16, 3), cache)
    stamp = {e.name: e.cache.stat().st_mtime_ns for e in first.train + first.test}
    again = scan_dataset(root, (16, 16, 3), cache)
    assert {e.name: e.cache.stat().st_mtime_ns for e in again.train + again.test} == stamp
    write_frame_folder(root / "a", make_frames(3, 6))  # changed content -> new cache entry
    changed = scan_dataset(root, (16, 16, 3), cache)
    assert {e.name: e.num_frames for e in changed.train + changed.test}["a"] == 6


def test_unreadable_videos_are_listed_and_skipped(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "train").mkdir(parents=True)
    write_mp4(root / "train" / "good.mp4", make_frames(0, 5))
    (root / "train" / "broken.mp4").write_bytes(b"this is not a video" * 10)
    (root / "train" / "empty.avi").write_bytes(b"")
    bad_frames = root / "train" / "bad_frames"
    bad_frames.mkdir()
    (bad_frames / "0000.png").write_bytes(b"not a png")
    report = scan_dataset(root, (32, 32, 3), tmp_path / "cache")
    assert [e.name for e in report.train] == ["good.mp4"]
    skipped = {p.name: reason for p, reason in report.unreadable}
    assert set(skipped) == {"broken.mp4", "empty.avi", "bad_frames"}
    assert "broken.mp4" in skipped["broken.mp4"]
    assert "skipped unreadable" in report.summary() and "bad_frames" in report.summary()


def test_no_usable_video_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    (root / "x.mp4").write_bytes(b"garbage")
    with pytest.raises(DatasetError, match=r"data: no usable training video"):
        scan_dataset(root, (32, 32, 3), tmp_path / "cache")
    with pytest.raises(DatasetError, match=r"missing: dataset folder not found"):
        scan_dataset(tmp_path / "missing", (32, 32, 3), tmp_path / "cache")


def test_scan_reports_progress_lists_a_dataset_without_training_video_and_cancels(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "train").mkdir(parents=True)
    (root / "train" / "broken.mp4").write_bytes(b"garbage")
    write_frame_folder(root / "test" / "clip", make_frames(0, 3))
    seen: list[tuple[int, int]] = []
    report = scan_videos(root, (16, 16, 3), tmp_path / "cache", lambda d, t: seen.append((d, t)))
    assert seen == [(0, 2), (1, 2), (2, 2)]
    assert report.train == [] and [e.name for e in report.test] == ["clip"]
    assert [p.name for p, _ in report.unreadable] == ["broken.mp4"]
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ScanCancelledError, match=r"data: scan cancelled"):
        scan_videos(root, (16, 16, 3), tmp_path / "cache", cancel=cancel)


def test_flat_split_is_reproducible_with_a_test_video() -> None:
    videos = [Path(f"clip{i:02d}.mp4") for i in range(30)]
    train, test = split_flat(videos)
    assert split_flat(list(reversed(videos)))[1] == test
    assert 1 <= len(test) <= 8 and len(train) + len(test) == 30 and not set(train) & set(test)
    two = split_flat(videos[:2])
    assert len(two[0]) == 1 and len(two[1]) == 1


def test_pair_samples_are_deterministic_and_augmented(
    video_dataset: Path, frame_cache: Path, tiny_config_path: Path
) -> None:
    config = load_config(tiny_config_path)
    report = scan_dataset(video_dataset, config.dataset_params.frame_shape, frame_cache)
    dataset = PairDataset(report.train, config)
    sample = dataset[(0, 123)]
    assert sample["source"].shape == (3, 64, 64) and sample["driving"].dtype == torch.float32
    assert float(sample["source"].min()) >= 0.0 and float(sample["source"].max()) <= 1.0
    again = dataset[(0, 123)]
    assert torch.equal(sample["source"], again["source"]) and torch.equal(sample["driving"], again["driving"])
    others = [dataset[(0, seed)]["source"] for seed in range(6)]
    assert any(not torch.equal(others[0], o) for o in others[1:])


def test_id_sampling_groups_videos_by_prefix(tmp_path: Path, tiny_config_path: Path) -> None:
    root = tmp_path / "data" / "train"
    for name in ("alice#1", "alice#2", "bob#1"):
        write_frame_folder(root / name, make_frames(len(name), 3))
    import dataclasses

    config = load_config(tiny_config_path)
    config = dataclasses.replace(
        config, dataset_params=dataclasses.replace(config.dataset_params, id_sampling=True)
    )
    report = scan_dataset(tmp_path / "data", (64, 64, 3), tmp_path / "cache")
    assert len(PairDataset(report.train, config)) == 2
    shutil.rmtree(tmp_path / "cache")


def test_epoch_sampler_splits_ranks_and_resumes_mid_epoch() -> None:
    full = EpochSampler(EpochPlan(num_items=5, num_repeats=2, batch_size=2, seed=7))
    assert full.batches_per_epoch() == 5
    items = list(full)
    assert len(items) == 10 and sorted(i for i, _ in items) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    full.set_epoch(0, start_batch=3)
    assert list(full) == items[6:]
    ranks = [EpochSampler(EpochPlan(5, 2, 2, seed=7, rank=r, world_size=2)) for r in (0, 1)]
    shares = [list(s) for s in ranks]
    assert all(len(s) == ranks[0].batches_per_epoch() * 2 for s in shares)
    assert not {seed for _, seed in shares[0]} & {seed for _, seed in shares[1]}
    full.set_epoch(1)
    assert list(full) != items


def test_a_broken_video_reads_the_same_in_the_train_report_and_the_animate_path(tmp_path: Path) -> None:
    """One wording per problem: the dataset report and fomm_studio.media say the same, no internals."""
    from fomm_studio.media import MediaError, VideoReader
    from trainer.video_cache import scan_videos

    (tmp_path / "train").mkdir()
    (tmp_path / "test").mkdir()
    broken = tmp_path / "train" / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    (tmp_path / "test" / "also.mp4").write_bytes(broken.read_bytes())
    report = scan_videos(tmp_path, (64, 64, 3), tmp_path / "cache")
    train_message = dict(report.unreadable)[broken]
    with pytest.raises(MediaError) as info:
        VideoReader(broken)
    assert train_message == str(info.value)
    assert "not a video file FFmpeg can read" in train_message and "index" not in train_message
