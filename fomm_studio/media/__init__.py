"""Media I/O for FOMM Studio: images and H.264 video with audio, all errors as `MediaError`."""

from fomm_studio.media.errors import MediaError
from fomm_studio.media.images import encode_png, read_image, save_png
from fomm_studio.media.video_reader import VideoReader, read_video_frames
from fomm_studio.media.video_writer import VideoWriter

__all__ = [
    "MediaError",
    "VideoReader",
    "VideoWriter",
    "encode_png",
    "read_image",
    "read_video_frames",
    "save_png",
]
