"""trainer.png: lossless PNG encoding with a choice of compression, written atomically."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from trainer.png import encode_png, write_png


def test_png_round_trips_and_compression_trades_size() -> None:
    ys, xs = np.mgrid[0:64, 0:96]
    image = np.stack([xs * 2, ys * 3, (xs + ys) % 256], axis=2).astype(np.uint8)  # smooth: compresses well
    fast, small = encode_png(image), encode_png(image, compression=9)
    for data in (fast, small):
        decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        np.testing.assert_array_equal(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB), image)
    assert len(small) < len(fast)


def test_write_png_leaves_no_temp_file(tmp_path: Path) -> None:
    image = np.zeros((8, 8, 3), np.uint8)
    image[..., 0] = 255  # red
    path = tmp_path / "sub" / "red.png"
    write_png(path, image)
    assert [p.name for p in path.parent.iterdir()] == ["red.png"]
    assert cv2.imread(str(path))[0, 0].tolist() == [0, 0, 255]  # BGR on disk
