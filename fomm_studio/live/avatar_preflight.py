"""Avatar preflight: is this picture a good avatar, and if not, why and what crop would help?

FOMM animates best a face-centred head crop like its training data (VoxCeleb: the face about half
the frame, upright, sharp). A user who picks a full-body photo, a blurry screenshot or a tilted
selfie gets a smeared result and no idea why. This scores the picture as the model will see it:

- the face, found with the detector the live tab's tracker uses (OpenCV's Haar frontal-face cascade);
- its size relative to the crop the model sees: the head square of the paste-back (`paste_back`) when
  the avatar is larger than the model's frame and paste-back is on, else the whole picture padded to a
  square (what `AnimationSession` does with a source);
- sharpness: variance of the Laplacian of the face resized to 128 pixels (so it measures blur relative
  to the face, not to the picture);
- tilt: the angle of the eye line, from the 68 face landmarks when their weights are installed, else
  from OpenCV's Haar eye cascade inside the face box.

Nothing is refused: the verdict is one line for the user, with a suggested square crop around the head.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from engine.errors import FommError
from fomm_studio.live.face_tracking import Detector, FaceRect, HaarFaceDetector
from fomm_studio.live.paste_back import PasteBackOptions, PasteRegion

SMALL_FACE = 0.25  # face side over crop side below this: the face is lost in the crop
LARGE_FACE = 0.8  # above this: the crop cuts the head
LOW_RESOLUTION = 0.5  # crop side over the model's frame below this: the face is enlarged 2x or more
BLURRY = (
    15.0  # variance of the Laplacian of the face at 128 px (sharp photos: 100s; sigma 2% of the face: ~5)
)
TILTED = 10.0  # degrees of the eye line
SHARPNESS_SIDE = 128

TiltFinder = Callable[[np.ndarray, FaceRect], float | None]  # (image, face) -> eye-line angle in degrees


@dataclass(frozen=True)
class PreflightTools:
    """The detectors the scoring uses; None where none is available, with the reason."""

    face: Detector | None
    tilt: TiltFinder | None
    tilt_method: str  # "landmarks", "eyes" or why tilt is not measured
    face_problem: str | None = None


@dataclass(frozen=True)
class AvatarScore:
    """What the preflight found. `face_fraction`: face side over the side of the crop the model sees;
    `crop`: that crop in avatar pixels; `suggested_crop`: a head square that would frame the face as
    the model likes it (None without a face); `issues`: short phrases, most important first."""

    width: int
    height: int
    face: FaceRect | None
    face_fraction: float | None
    crop: PasteRegion
    sharpness: float
    tilt: float | None
    tilt_method: str
    suggested_crop: PasteRegion | None
    crop_suggested: bool
    issues: tuple[str, ...] = field(default=())
    verdict: str = ""

    @property
    def good(self) -> bool:
        return not self.issues


def _eye_cascade() -> cv2.CascadeClassifier | None:
    path = Path(cv2.data.haarcascades) / "haarcascade_eye.xml"  # type: ignore[attr-defined]
    cascade = cv2.CascadeClassifier(str(path)) if path.is_file() else None
    return None if cascade is None or cascade.empty() else cascade


def eye_line_from_cascade(cascade: cv2.CascadeClassifier) -> TiltFinder:
    """Tilt from the two largest eyes found in the upper part of the face, one on each side."""

    def tilt(image: np.ndarray, face: FaceRect) -> float | None:
        x, y, w, h = face
        gray = cv2.cvtColor(image[y : y + h, x : x + w], cv2.COLOR_RGB2GRAY)
        scale = 256.0 / max(w, 1)
        gray = cv2.resize(gray, (256, max(1, round(h * scale))))
        upper = gray[: round(gray.shape[0] * 0.62)]
        eyes = cascade.detectMultiScale(upper, scaleFactor=1.1, minNeighbors=5, minSize=(20, 20))
        centres = sorted(((ex + ew / 2, ey + eh / 2, ew) for ex, ey, ew, eh in eyes), key=lambda e: -e[2])
        left = next((e for e in centres if e[0] < 128), None)
        right = next((e for e in centres if e[0] >= 128), None)
        if left is None or right is None:
            return None
        return math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))

    return tilt


def eye_line_from_landmarks(device: str = "cpu") -> TiltFinder:
    """Tilt from the 68 landmarks' eye centres (points 36-41 and 42-47); needs the landmark weights."""
    from fomm_studio.offline.landmarks import LandmarkDetector

    detector = LandmarkDetector(device)

    def tilt(image: np.ndarray, _face: FaceRect) -> float | None:
        points = detector.landmarks(np.ascontiguousarray(image))
        if points is None:
            return None
        left, right = points[36:42].mean(axis=0), points[42:48].mean(axis=0)
        return math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))

    return tilt


def default_tools() -> PreflightTools:
    """The app's face detector, and the best tilt measure installed (landmarks, else Haar eyes)."""
    from fomm_studio.offline.landmarks import missing_landmark_weights

    try:
        face: Detector | None = HaarFaceDetector()
        problem = None
    except FommError as exc:  # e.g. opencv-python 5.x: no Haar cascades
        face, problem = None, str(exc)
    if not missing_landmark_weights():
        return PreflightTools(face, eye_line_from_landmarks(), "landmarks", problem)
    cascade = _eye_cascade()
    if cascade is not None:
        return PreflightTools(face, eye_line_from_cascade(cascade), "eyes", problem)
    return PreflightTools(face, None, "tilt not measured: no landmark weights and no eye cascade", problem)


def head_square(shape: tuple[int, ...], face: FaceRect, options: PasteBackOptions) -> PasteRegion:
    """The square the paste-back would animate: `margin` x the face, raised a little, inside the image."""
    h, w = shape[:2]
    x, y, fw, fh = face
    side = int(min(round(options.margin * max(fw, fh)), h, w))
    cx, cy = x + fw / 2, y + fh / 2 - options.raise_head * fh
    left = int(np.clip(round(cx - side / 2), 0, w - side))
    top = int(np.clip(round(cy - side / 2), 0, h - side))
    return PasteRegion(left, top, side)


def model_crop(
    shape: tuple[int, ...], face: FaceRect | None, model_size: int, paste_back: bool
) -> PasteRegion:
    """The crop the model sees, in avatar pixels: the head square under paste-back, else the whole
    picture padded to a square (its side the longer one; left/top may be negative)."""
    h, w = shape[:2]
    if paste_back and face is not None and max(h, w) > model_size:
        return head_square(shape, face, PasteBackOptions())
    side = max(h, w)
    return PasteRegion((w - side) // 2, (h - side) // 2, side)


def sharpness(image: np.ndarray, face: FaceRect | None) -> float:
    """Variance of the Laplacian of the face (else the whole picture) at 128 pixels."""
    if face is not None:
        x, y, w, h = face
        image = image[y : y + h, x : x + w]
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    shrink = max(gray.shape[:2]) > SHARPNESS_SIDE
    gray = cv2.resize(
        gray, (SHARPNESS_SIDE, SHARPNESS_SIDE), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    )
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def score_avatar(
    image: np.ndarray, model_size: int = 256, paste_back: bool = True, tools: PreflightTools | None = None
) -> AvatarScore:
    """Score an avatar (H, W, 3) uint8 RGB as the model will see it; see the module docstring."""
    tools = tools or default_tools()
    h, w = image.shape[:2]
    face = tools.face(image) if tools.face is not None else None
    crop = model_crop(image.shape, face, model_size, paste_back)
    fraction = None if face is None else max(face[2], face[3]) / crop.side
    tilt = tools.tilt(image, face) if tools.tilt is not None and face is not None else None
    suggested = None if face is None else head_square(image.shape, face, PasteBackOptions())
    score = AvatarScore(
        w, h, face, fraction, crop, sharpness(image, face), tilt, tools.tilt_method, suggested, False
    )
    issues, crop_suggested = _issues(score, model_size, tools.face_problem)
    return replace(
        score, issues=tuple(issues), crop_suggested=crop_suggested, verdict=_verdict(score, issues)
    )


def _issues(score: AvatarScore, model_size: int, face_problem: str | None) -> tuple[list[str], bool]:
    """The problems found, most important first, and whether the suggested crop would fix one."""
    issues: list[str] = []
    crop_suggested = False
    if face_problem is not None:
        issues.append(f"Face not checked: {face_problem}")
    elif score.face is None:
        issues.append("No face found: the whole picture is animated; a front-facing portrait works best")
    if score.face_fraction is not None:
        percent = round(100 * score.face_fraction)
        if score.face_fraction < SMALL_FACE:
            issues.append(f"Face small ({percent}% of the crop): crop suggested")
            crop_suggested = True
        elif score.face_fraction > LARGE_FACE:
            issues.append(f"Face fills the crop ({percent}%): a wider picture works better")
    if score.face is not None and score.crop.side < LOW_RESOLUTION * model_size:
        factor = model_size / score.crop.side
        issues.append(f"Low resolution: the head is {score.crop.side} px, enlarged {factor:.1f}x")
    if score.sharpness < BLURRY:
        issues.append(f"Blurry (sharpness {score.sharpness:.0f}, under {BLURRY:.0f})")
    if score.tilt is not None and abs(score.tilt) > TILTED:
        issues.append(f"Tilted {abs(score.tilt):.0f}°: an upright head animates better")
    return issues, crop_suggested


def _verdict(score: AvatarScore, issues: list[str]) -> str:
    """One line: the problems, or how well the face fills the crop (no problem implies a face)."""
    if issues or score.face_fraction is None:
        return "; ".join(issues)
    return f"Good: face {round(100 * score.face_fraction)}% of the crop"


def score_avatar_file(path: str | Path, model_size: int = 256, paste_back: bool = True) -> AvatarScore:
    """`score_avatar` of an image file; a file that is no image raises the reader's `MediaError`."""
    return check_avatar_file(path, model_size, paste_back).score


@dataclass(frozen=True)
class AvatarCheck:
    """A scored avatar file with a thumbnail to show the verdict on (`scale`: thumbnail / avatar)."""

    path: Path
    score: AvatarScore
    thumbnail: np.ndarray
    scale: float


def check_avatar_file(
    path: str | Path, model_size: int = 256, paste_back: bool = True, thumbnail_side: int = 160
) -> AvatarCheck:
    """Read, score and shrink an avatar in one go (for a worker thread: it reads the file)."""
    from fomm_studio.media import read_image

    image = read_image(path)
    scale = min(1.0, thumbnail_side / max(image.shape[:2]))
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    thumbnail = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if scale < 1.0 else image
    return AvatarCheck(Path(path), score_avatar(image, model_size, paste_back), thumbnail, scale)


def save_suggested_crop(path: str | Path, region: PasteRegion, folder: str | Path) -> Path:
    """Write the suggested crop of the avatar at `path` as `<folder>/<stem>-crop.png` (atomically); the
    user's own file is left as it is."""
    from fomm_studio.media import read_image, save_png

    source = Path(path)
    return save_png(Path(folder) / f"{source.stem}-crop.png", cropped(read_image(source), region))


def cropped(image: np.ndarray, region: PasteRegion) -> np.ndarray:
    """The square `region` of `image` (inside the image, as `head_square` makes it)."""
    return np.ascontiguousarray(
        image[region.top : region.top + region.side, region.left : region.left + region.side]
    )
