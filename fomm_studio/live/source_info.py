"""What the live view is driven by, as the GUI and a bug report need it: the kind of source (a real
camera or not), its name, the size of its frames and its frame rate."""

from __future__ import annotations

from dataclasses import dataclass

SOURCE_KINDS = ("camera", "video", "synthetic", "other")


@dataclass(frozen=True)
class SourceInfo:
    """The feed of the current frame. `kind`: 'camera' (a webcam), 'video' (a file, the sample clip
    included), 'synthetic' or 'other' (a feed that does not say). width/height: the frame as read,
    before the face crop; 0 before the first frame."""

    kind: str
    name: str
    width: int = 0
    height: int = 0
    fps: float | None = None

    def describe(self) -> str:
        """One line: 'camera 0 (camera), 1280x720 at 30 fps'."""
        size = f"{self.width}x{self.height}" if self.width else "size unknown"
        rate = f" at {self.fps:g} fps" if self.fps else ""
        return f"{self.name} ({self.kind}), {size}{rate}"


def feed_kind(feed: object) -> str:
    """A feed's `kind` attribute when it has a known one (wrappers pass on their inner feed's), else
    'other'."""
    kind = getattr(feed, "kind", None)
    return kind if kind in SOURCE_KINDS else "other"
