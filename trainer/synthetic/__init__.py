"""Reproducible synthetic training videos: talking heads in front of a webcam, with clear licenses.

`generate_dataset(root, SynthOptions(...))` writes root/train/*.mp4, root/test/*.mp4 and a README
naming every source; `render_video(seed, frames, size)` renders one video in memory. Nothing here
reads a real video: the only third-party pixels are scikit-image's public-domain / CC0 samples.
"""

from trainer.synthetic.dataset_writer import (
    SyntheticDatasetError,
    SynthOptions,
    generate_dataset,
    readme_text,
    video_seed,
    write_mp4,
)
from trainer.synthetic.licensed_images import LICENSED_IMAGES, SourceImageError
from trainer.synthetic.render import SyntheticVideo, render_video

__all__ = [
    "LICENSED_IMAGES",
    "SourceImageError",
    "SynthOptions",
    "SyntheticDatasetError",
    "SyntheticVideo",
    "generate_dataset",
    "readme_text",
    "render_video",
    "video_seed",
    "write_mp4",
]
