"""fomm_studio.media: images and videos in, H.264 with audio out, every failure a MediaError."""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from fomm_studio.media import MediaError, VideoReader, VideoWriter, read_image, read_video_frames, save_png
from fomm_studio.media import video_writer as video_writer_module
from fomm_studio.media.errors import describe_os_error
from tests.fomm_studio.media_samples import make_video, moving_bar_frames


def _gradient(h: int = 20, w: int = 30) -> np.ndarray:
    image = np.zeros((h, w, 3), np.uint8)
    image[..., 0] = np.arange(w)[None, :] * 8
    image[..., 1] = np.arange(h)[:, None] * 12
    image[..., 2] = 77
    return image


# --- images -----------------------------------------------------------------------------------


def test_png_round_trip_is_exact_and_handles_unicode_paths(tmp_path: Path) -> None:
    image = _gradient()
    path = save_png(tmp_path / "ävatar 頭.png", image)
    np.testing.assert_array_equal(read_image(path), image)
    assert [p.name for p in tmp_path.iterdir()] == ["ävatar 頭.png"]  # no temp file left


def test_read_image_converts_gray_rgba_and_16_bit(tmp_path: Path) -> None:
    gray = np.full((8, 9), 100, np.uint8)
    cv2.imwrite(str(tmp_path / "gray.png"), gray)
    np.testing.assert_array_equal(read_image(tmp_path / "gray.png"), np.full((8, 9, 3), 100, np.uint8))

    bgra = np.zeros((8, 9, 4), np.uint8)
    bgra[..., 2] = 255  # red, fully transparent on the left half
    bgra[:, 5:, 3] = 255
    cv2.imwrite(str(tmp_path / "rgba.png"), bgra)
    rgba = read_image(tmp_path / "rgba.png")
    assert rgba[0, 0].tolist() == [255, 255, 255] and rgba[0, 8].tolist() == [255, 0, 0]

    deep = np.full((8, 9, 3), 65535, np.uint16)
    deep[..., 0] = 0  # BGR: blue channel off
    cv2.imwrite(str(tmp_path / "deep.png"), deep)
    assert read_image(tmp_path / "deep.png")[0, 0].tolist() == [255, 255, 0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "image file not found"),
        (b"", "image file is empty"),
        (b"hello, I am text\n", "not an image"),
    ],
)
def test_read_image_errors_name_the_file(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "face.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(MediaError, match=f"face.png: {message}"):
        read_image(path)


def test_failed_save_png_keeps_the_old_file(tmp_path: Path) -> None:
    path = save_png(tmp_path / "out.png", _gradient())
    with pytest.raises(Exception, match="expected H x W"):
        save_png(path, np.zeros((4, 4, 2), np.uint8))
    np.testing.assert_array_equal(read_image(path), _gradient())
    assert len(list(tmp_path.iterdir())) == 1


# --- reading video ----------------------------------------------------------------------------


def test_video_reader_properties_and_frames(tmp_path: Path) -> None:
    path = make_video(tmp_path / "clip ü.mp4", frames=12, fps=10)
    reader = VideoReader.open(path)
    assert (reader.fps, reader.frame_count, reader.size, reader.has_audio) == (10.0, 12, (64, 48), True)
    assert reader.duration == pytest.approx(1.2, abs=0.05)
    frames = list(reader)
    assert len(frames) == 12 and frames[0].shape == (48, 64, 3) and frames[0].dtype == np.uint8
    expected = moving_bar_frames(12)
    assert np.abs(frames[5].astype(int) - expected[5]).mean() < 6  # lossy but close
    assert len(list(reader)) == 12  # iterable again
    assert len(read_video_frames(path, max_frames=4)) == 4


def test_rotated_phone_video_is_read_upright(tmp_path: Path) -> None:
    path = tmp_path / "phone.mp4"
    image = np.zeros((48, 64, 3), np.uint8)
    image[:, :32] = (255, 0, 0)  # red left half as stored
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.set_display_rotation(90)  # shown turned 90 degrees counter-clockwise
        for i in range(2):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    reader = VideoReader(path)
    assert reader.size == (48, 64)
    upright = next(iter(reader))
    assert upright.shape == (64, 48, 3) and upright[58, 24, 0] > 200 and upright[5, 24, 0] < 60


def test_video_without_audio_reports_no_audio(tmp_path: Path) -> None:
    assert not VideoReader(make_video(tmp_path / "silent.mp4", audio=None)).has_audio


def _audio_only(path: Path) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 16000, 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", "video file not found"),
        ("empty", "video file is empty"),
        ("random", "not a video file|no video|cannot be decoded"),
        ("audio", "has no video stream"),
        ("directory", "is not a file"),
    ],
)
def test_video_reader_errors_name_the_file(tmp_path: Path, kind: str, message: str) -> None:
    path = tmp_path / "drive.mp4"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "random":
        path.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    elif kind == "audio":
        _audio_only(path)
    elif kind == "directory":
        path.mkdir()
    with pytest.raises(MediaError, match=f"drive.mp4: ({message})"):
        VideoReader(path)


@pytest.mark.parametrize(
    ("name", "content"), [("notes.txt", b"some words\n" * 300), ("blob.bin", bytes(range(256)) * 40)]
)
def test_text_files_are_not_videos(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(MediaError, match=rf"{name}: is a text or binary file, not a video"):
        VideoReader(path)


def test_truncated_streamable_video_yields_the_frames_that_decode(tmp_path: Path) -> None:
    path = make_video(tmp_path / "full.mkv", frames=40, audio=None)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size * 6 // 10])
    frames = read_video_frames(cut)
    assert 0 < len(frames) < 40


def test_truncated_mp4_without_index_is_a_media_error(tmp_path: Path) -> None:
    path = make_video(tmp_path / "full.mp4", frames=20, audio=None)  # index (moov) at the end
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(MediaError, match=r"cut\.mp4"):
        VideoReader(cut)


# --- writing video ----------------------------------------------------------------------------


def _write(
    path: Path, frames: list[np.ndarray], fps: float | Fraction = 10, audio_from: Path | None = None
) -> Path:
    with VideoWriter(path, fps) as writer:
        if audio_from is not None:
            writer.mux_audio_from(audio_from)
        for frame in frames:
            writer.write(frame)
    return path


def test_writer_round_trip_keeps_count_rate_and_pixels(tmp_path: Path) -> None:
    frames = moving_bar_frames(15)
    path = _write(tmp_path / "out.mp4", frames, fps=29.97)
    reader = VideoReader(path)
    assert reader.fps_fraction == Fraction(30000, 1001) and reader.frame_count == 15
    assert not reader.has_audio
    decoded = list(reader)
    assert len(decoded) == 15
    assert np.abs(decoded[7].astype(int) - frames[7]).mean() < 6
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.format.name == "yuv420p"
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


def test_writer_pads_odd_sizes_to_even(tmp_path: Path) -> None:
    path = _write(tmp_path / "odd.mp4", [f[:47, :63] for f in moving_bar_frames(3)])
    assert VideoReader(path).size == (64, 48)


@pytest.mark.parametrize(("container", "codec"), [("mp4", "aac"), ("mkv", "pcm_s16le")])
def test_writer_keeps_driving_audio_trimmed_to_the_video(tmp_path: Path, container: str, codec: str) -> None:
    driving = make_video(tmp_path / f"drive.{container}", frames=20, fps=10, audio=codec, audio_seconds=3.0)
    path = _write(tmp_path / "out.mp4", moving_bar_frames(10), fps=10, audio_from=driving)
    with av.open(str(path)) as out:
        audio = out.streams.audio[0]
        assert audio.codec_context.name == "aac"
        samples = sum(frame.samples for frame in out.decode(audio))
    assert 0.9 <= samples / 16000 <= 1.15  # 1 s of video; the 3 s of sound is cut to it
    assert len(read_video_frames(path)) == 10


def test_writer_with_silent_driving_video_writes_no_audio(tmp_path: Path) -> None:
    driving = make_video(tmp_path / "silent.mp4", audio=None)
    path = _write(tmp_path / "out.mp4", moving_bar_frames(4), audio_from=driving)
    assert not VideoReader(path).has_audio


def test_error_inside_writer_leaves_no_output_and_no_temp(tmp_path: Path) -> None:
    (tmp_path / "out.mp4").write_bytes(b"previous result")
    with pytest.raises(RuntimeError, match="cancelled"), VideoWriter(tmp_path / "out.mp4", 10) as writer:
        for frame in moving_bar_frames(3):
            writer.write(frame)
        raise RuntimeError("cancelled")
    assert (tmp_path / "out.mp4").read_bytes() == b"previous result"
    assert len(list(tmp_path.iterdir())) == 1


def test_writer_rejects_no_frames_and_changing_sizes(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"out\.mp4: no frames were written"):
        VideoWriter(tmp_path / "out.mp4", 10).close()
    writer = VideoWriter(tmp_path / "out.mp4", 10)
    writer.write(np.zeros((16, 16, 3), np.uint8))
    with pytest.raises(MediaError, match="frame 1 is 8x8, earlier frames were 16x16"):
        writer.write(np.zeros((8, 8, 3), np.uint8))
    writer.abort()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(MediaError, match="frame rate must be positive"):
        VideoWriter(tmp_path / "out.mp4", 0)


def test_disk_full_is_a_clear_media_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    @contextlib.contextmanager
    def full_disk(path: Path, mode: str = "wb") -> Iterator[None]:
        raise OSError(errno.ENOSPC, "No space left on device")
        yield

    monkeypatch.setattr(video_writer_module, "atomic_open", full_disk)
    with pytest.raises(MediaError, match=r"out\.mp4: disk full while writing the video"):
        _write(tmp_path / "out.mp4", moving_bar_frames(3))
    assert list(tmp_path.iterdir()) == []


def test_describe_os_error_messages() -> None:
    assert "permission denied" in str(describe_os_error("x.mp4", OSError(errno.EACCES, "denied"), "writing"))
    assert (
        str(describe_os_error("x.mp4", OSError(errno.EIO, "I/O error"), "reading"))
        == "x.mp4: I/O error while reading"
    )


def _jpeg_with_orientation(image: np.ndarray, orientation: int) -> bytes:
    """A JPEG carrying a minimal EXIF block whose only tag is Orientation (0x0112)."""
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    tiff = b"II*\x00" + (8).to_bytes(4, "little")  # little-endian TIFF header, first IFD at offset 8
    tiff += (1).to_bytes(2, "little") + b"\x12\x01" + (3).to_bytes(2, "little") + (1).to_bytes(4, "little")
    tiff += orientation.to_bytes(2, "little") + b"\x00\x00" + (0).to_bytes(4, "little")
    app1 = b"Exif\x00\x00" + tiff
    segment = b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1
    data = encoded.tobytes()
    return data[:2] + segment + data[2:]


def test_read_image_turns_phone_photos_upright(tmp_path: Path) -> None:
    image = np.zeros((40, 60, 3), np.uint8)
    image[:, :30] = (250, 20, 20)  # red left half, as stored (sideways)
    path = tmp_path / "phone.jpg"
    path.write_bytes(_jpeg_with_orientation(image, 6))  # 6: rotate 90 degrees clockwise to view
    upright = read_image(path)
    assert upright.shape == (60, 40, 3)
    assert upright[5, 20, 0] > 200 and upright[55, 20, 0] < 60  # the red half is now on top
