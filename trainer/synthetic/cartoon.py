"""Procedurally drawn cartoon heads whose parts move: blinking lids, talking mouth, jaw, brows, yaw.

A face is drawn upright and centred on a frame-sized canvas on black together with its coverage
(alpha), so the colour canvas is already premultiplied; `render` then warps it with the global
head pose. Coordinates use OpenCV's 4-bit sub-pixel `shift`, so slow motion does not jump by
whole pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from trainer.synthetic.licensed_images import BACKGROUND_IMAGES, load_image

SHIFT = 4  # OpenCV fractional bits: coordinates are multiplied by 16
AA = cv2.LINE_AA
WHOLE, UPPER_HALF, LOWER_HALF = (0.0, 360.0), (180.0, 360.0), (0.0, 180.0)  # ellipse spans, degrees (y down)

SKIN_TONES = np.array(
    [
        [255, 224, 196],
        [241, 194, 150],
        [224, 172, 105],
        [198, 134, 66],
        [141, 85, 36],
        [96, 60, 30],
        [255, 205, 170],
        [234, 190, 160],
    ],
    np.float32,
)
HAIR_COLORS = np.array(
    [
        [30, 20, 15],
        [80, 50, 25],
        [150, 100, 50],
        [220, 190, 120],
        [180, 60, 30],
        [120, 120, 120],
        [230, 230, 230],
        [60, 40, 90],
    ],
    np.float32,
)


@dataclass(frozen=True)
class FaceState:
    """Expression and pose of one frame (see `trajectory.HeadMotion` for the ranges)."""

    blink: float = 0.0
    mouth: float = 0.0
    jaw: float = 0.0
    turn: float = 0.0
    nod: float = 0.0
    brows: float = 0.0


@dataclass(frozen=True)
class CartoonFace:
    """The identity of one cartoon head; sizes in pixels of the frame it is drawn for."""

    size: int
    center: tuple[float, float]
    radii: tuple[float, float]
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    shirt: tuple[int, int, int]
    iris: tuple[int, int, int]
    lips: tuple[int, int, int]
    hair_style: int  # 0 short, 1 long, 2 bald, 3 curly
    hair_line: float  # fraction of the half height where the fringe ends, above the centre
    eye_spacing: float
    eye_height: float  # eye centre above the head centre, fraction of the half height
    eye_radii: tuple[float, float]
    mouth_height: float  # mouth centre below the head centre, fraction of the half height
    mouth_width: float
    smile: float
    glasses: bool
    blush: bool
    curls: tuple[tuple[float, float, float], ...]  # (angle, radius factor, curl size) per curl
    texture: np.ndarray | None  # (size, size) multiplicative skin texture around 1, or None


def _rgb(values: np.ndarray) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in np.clip(values, 0, 255))
    return (r, g, b)


def random_cartoon_face(rng: np.random.Generator, size: int, textured: bool = True) -> CartoonFace:
    """Draw a reproducible identity: proportions, colours, hair style, accessories. Without `textured`
    the skin stays plain (no licensed picture is loaded); every other choice is the same."""
    rx = size * rng.uniform(0.16, 0.22)
    ry = rx * rng.uniform(1.12, 1.4)
    skin = SKIN_TONES[rng.integers(len(SKIN_TONES))] * rng.uniform(0.9, 1.05, 3)
    if rng.random() < 0.1:  # the odd green or blue alien keeps the model from relying on skin colour
        skin = rng.uniform(60, 230, 3)
    curls = tuple(
        (
            float(rng.uniform(np.pi * 1.05, np.pi * 1.95)),
            float(rng.uniform(0.85, 1.05)),
            float(rng.uniform(0.18, 0.3)),
        )
        for _ in range(int(rng.integers(10, 18)))
    )
    return CartoonFace(
        size=size,
        center=(size * rng.uniform(0.46, 0.54), size * rng.uniform(0.4, 0.47)),
        radii=(rx, ry),
        skin=_rgb(skin),
        hair=_rgb(HAIR_COLORS[rng.integers(len(HAIR_COLORS))] * rng.uniform(0.85, 1.15, 3)),
        shirt=_rgb(rng.uniform(20, 240, 3)),
        iris=_rgb(rng.uniform(20, 200, 3)),
        lips=_rgb(np.array([190, 80, 90]) * rng.uniform(0.6, 1.15, 3)),
        hair_style=int(rng.integers(0, 4)),
        hair_line=float(rng.uniform(0.42, 0.6)),
        eye_spacing=float(rng.uniform(0.36, 0.5)),
        eye_height=float(rng.uniform(0.0, 0.16)),
        eye_radii=(float(rng.uniform(0.13, 0.2)), float(rng.uniform(0.08, 0.13))),
        mouth_height=float(rng.uniform(0.45, 0.6)),
        mouth_width=float(rng.uniform(0.3, 0.55)),
        smile=float(rng.uniform(-0.2, 0.6)),
        glasses=bool(rng.random() < 0.15),
        blush=bool(rng.random() < 0.4),
        curls=curls,
        texture=_skin_texture(rng, size) if rng.random() < 0.7 and textured else None,
    )


def _skin_texture(rng: np.random.Generator, size: int) -> np.ndarray:
    """A low-contrast grey texture from a licensed image: gives the face trackable detail."""
    gray = load_image(str(rng.choice(BACKGROUND_IMAGES))).mean(axis=2).astype(np.float32)
    side = min(gray.shape)
    crop = gray[:side, :side]
    crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    contrast = rng.uniform(0.1, 0.35)
    return (1.0 + contrast * (crop - crop.mean()) / 128.0).astype(np.float32)


def _p(x: float, y: float) -> tuple[int, int]:
    return (round(x * 16), round(y * 16))


def _ax(a: float, b: float) -> tuple[int, int]:
    return (max(0, round(a * 16)), max(0, round(b * 16)))


class _Canvas:
    """Colour and coverage drawn together; coverage only for outline shapes (hair, head, ears)."""

    def __init__(self, width: int, height: int) -> None:
        self.rgb = np.zeros((height, width, 3), np.uint8)
        self.alpha = np.zeros((height, width), np.uint8)

    def ellipse(
        self,
        c: tuple[float, float],
        r: tuple[float, float],
        color: tuple[int, int, int],
        outline: bool = False,
        span: tuple[float, float] = WHOLE,
    ) -> None:
        """A filled axis-aligned ellipse, or the sector `span` (start, end degrees, clockwise from +x)."""
        start, end = span
        cv2.ellipse(self.rgb, _p(*c), _ax(*r), 0.0, start, end, color, -1, AA, SHIFT)
        if outline:
            cv2.ellipse(self.alpha, _p(*c), _ax(*r), 0.0, start, end, 255, -1, AA, SHIFT)

    def poly(self, points: np.ndarray, color: tuple[int, int, int], outline: bool = False) -> None:
        pts = [np.round(points * 16).astype(np.int32)]
        cv2.fillPoly(self.rgb, pts, color, AA, SHIFT)
        if outline:
            cv2.fillPoly(self.alpha, pts, 255, AA, SHIFT)

    def line(self, points: np.ndarray, color: tuple[int, int, int], thickness: int) -> None:
        cv2.polylines(self.rgb, [np.round(points * 16).astype(np.int32)], False, color, thickness, AA, SHIFT)


def _shade(color: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return _rgb(np.array(color, np.float32) * factor)


def _parallax(face: CartoonFace, state: FaceState, depth: float) -> tuple[float, float]:
    """Offset of a feature at `depth` (0 on the head outline, 1 at the nose tip) for the yaw and pitch."""
    rx, ry = face.radii
    return state.turn * rx * 0.3 * depth, state.nod * ry * 0.14 * depth


def _draw_hair_back(canvas: _Canvas, face: CartoonFace, state: FaceState) -> None:
    (cx, cy), (rx, ry) = face.center, face.radii
    dx = -state.turn * rx * 0.06
    if face.hair_style == 1:
        canvas.ellipse((cx + dx, cy + 0.35 * ry), (1.3 * rx, 1.4 * ry), face.hair, outline=True)
    ear_y = cy - face.eye_height * ry + 0.15 * ry
    for side in (-1.0, 1.0):
        ear_x = cx + side * 0.97 * rx - state.turn * rx * 0.12
        canvas.ellipse(
            (ear_x, ear_y),
            (0.14 * rx * (1.0 - 0.5 * side * state.turn), 0.22 * ry),
            _shade(face.skin, 0.9),
            outline=True,
        )


def _draw_head_shape(canvas: _Canvas, face: CartoonFace, state: FaceState) -> None:
    """Upper and lower half ellipses; the lower one lengthens when the jaw drops."""
    (cx, cy), (rx, ry) = face.center, face.radii
    canvas.ellipse((cx, cy), (rx, ry), face.skin, outline=True, span=UPPER_HALF)
    canvas.ellipse(
        (cx, cy),
        (rx * (1.0 - 0.04 * state.jaw), ry * (1.0 + 0.13 * state.jaw)),
        face.skin,
        outline=True,
        span=LOWER_HALF,
    )
    if face.blush:
        dx, dy = _parallax(face, state, 0.6)
        for side in (-1.0, 1.0):
            canvas.ellipse(
                (cx + side * 0.55 * rx + dx, cy + 0.25 * ry + dy),
                (0.16 * rx, 0.09 * ry),
                _rgb(np.array(face.skin) * 0.7 + np.array([230, 90, 90]) * 0.3),
            )


def _eye_outline(cx: float, cy: float, rx: float, ry: float, blink: float) -> tuple[np.ndarray, np.ndarray]:
    """Upper outline of the eye and the lid edge at closure `blink` (both left to right). Shapes: (N, 2)."""
    theta = np.linspace(np.pi, 2.0 * np.pi, 17)
    xs = cx + rx * np.cos(theta)
    top = np.stack([xs, cy + ry * np.sin(theta)], axis=1)
    lid = np.stack([xs, cy + ry * (1.0 - 2.0 * blink) * np.sin(theta)], axis=1)
    return top, lid


def _draw_eyes(canvas: _Canvas, face: CartoonFace, state: FaceState) -> None:
    (cx, cy), (rx, ry) = face.center, face.radii
    dx, dy = _parallax(face, state, 0.7)
    erx, ery = face.eye_radii[0] * rx, face.eye_radii[1] * ry * 1.6
    for side in (-1.0, 1.0):
        ex, ey = cx + side * face.eye_spacing * rx + dx, cy - face.eye_height * ry + dy
        width = erx * (1.0 - 0.25 * side * state.turn)
        canvas.ellipse((ex, ey), (width, ery), (250, 250, 250))
        iris_x = ex + state.turn * width * 0.35
        canvas.ellipse((iris_x, ey), (0.55 * ery, 0.8 * ery), face.iris)
        canvas.ellipse((iris_x, ey), (0.28 * ery, 0.4 * ery), (15, 15, 20))
        top, lid = _eye_outline(ex, ey, width * 1.08, ery * 1.08, state.blink)
        canvas.poly(np.concatenate([top, lid[::-1]]), face.skin)
        canvas.line(lid, (30, 25, 25), max(1, round(face.size / 128)))
        if face.glasses:
            cv2.ellipse(
                canvas.rgb,
                _p(ex, ey),
                _ax(width * 1.6, ery * 1.9),
                0,
                0,
                360,
                (20, 20, 20),
                max(1, round(face.size / 100)),
                AA,
                SHIFT,
            )


def _draw_brows(canvas: _Canvas, face: CartoonFace, state: FaceState) -> None:
    (cx, cy), (rx, ry) = face.center, face.radii
    dx, dy = _parallax(face, state, 0.7)
    lift = (0.06 * state.brows - 0.03 * state.blink) * ry
    base_y = cy - face.eye_height * ry - face.eye_radii[1] * ry * 1.6 - 0.1 * ry - lift + dy
    for side in (-1.0, 1.0):
        ex = cx + side * face.eye_spacing * rx + dx
        xs = ex + np.linspace(-1.0, 1.0, 7) * face.eye_radii[0] * rx * 1.2
        ys = base_y - 0.05 * ry * (1.0 - np.linspace(-1.0, 1.0, 7) ** 2) + side * 0.02 * ry * state.brows
        canvas.line(np.stack([xs, ys], axis=1), _shade(face.hair, 0.8), max(2, round(face.size / 70)))


def _draw_nose(canvas: _Canvas, face: CartoonFace, state: FaceState) -> None:
    (cx, cy), (rx, ry) = face.center, face.radii
    dx, dy = _parallax(face, state, 1.0)
    nose = np.array(
        [
            [cx + dx - 0.02 * rx, cy + dy - 0.05 * ry],
            [cx + dx - 0.1 * rx, cy + dy + 0.22 * ry],
            [cx + dx + 0.06 * rx, cy + dy + 0.25 * ry],
        ]
    )
    canvas.line(nose, _shade(face.skin, 0.7), max(1, round(face.size / 110)))


def _draw_mouth(canvas: _Canvas, face: CartoonFace, state: FaceState) -> None:
    """Closed: a curved line. Open: dark inside, teeth on top, tongue below, lips around."""
    (cx, cy), (rx, ry) = face.center, face.radii
    dx, dy = _parallax(face, state, 0.75)
    mx, my = cx + dx, cy + face.mouth_height * ry + dy + 0.1 * state.jaw * ry
    half_w = 0.5 * face.mouth_width * rx * 2.0 * (1.0 - 0.2 * abs(state.turn)) * (1.0 - 0.15 * state.mouth)
    half_h = 0.22 * ry * max(state.mouth, state.jaw * 0.6)
    thickness = max(2, round(face.size / 90))
    if half_h < 1.0:
        xs = np.linspace(-1.0, 1.0, 11)
        curve = np.stack([mx + xs * half_w, my - face.smile * 0.08 * ry * (1.0 - xs**2)], axis=1)
        canvas.line(curve, face.lips, thickness)
        return
    canvas.ellipse((mx, my), (half_w, half_h), (70, 20, 30))
    canvas.ellipse((mx, my - 0.62 * half_h), (0.75 * half_w, 0.3 * half_h), (245, 245, 240))
    canvas.ellipse((mx, my + 0.55 * half_h), (0.5 * half_w, 0.35 * half_h), (200, 90, 100))
    cv2.ellipse(canvas.rgb, _p(mx, my), _ax(half_w, half_h), 0, 0, 360, face.lips, thickness, AA, SHIFT)


def _draw_hair_front(canvas: _Canvas, face: CartoonFace, state: FaceState) -> None:
    (cx, cy), (rx, ry) = face.center, face.radii
    dx = state.turn * rx * 0.08
    if face.hair_style in (0, 1):
        bottom = face.hair_line * ry
        canvas.ellipse(
            (cx + dx, cy - bottom), (1.06 * rx, 1.1 * ry - bottom), face.hair, outline=True, span=UPPER_HALF
        )
    elif face.hair_style == 3:
        for angle, radius, curl in face.curls:
            x = cx + dx + radius * rx * np.cos(angle)
            y = cy + radius * ry * np.sin(angle)
            canvas.ellipse((x, y), (curl * rx, curl * rx), face.hair, outline=True)


def draw_head(face: CartoonFace, state: FaceState) -> tuple[np.ndarray, np.ndarray]:
    """The head for one frame. Shapes: -> premultiplied rgb (S, S, 3) float32, alpha (S, S) float32 in [0, 1]."""
    canvas = _Canvas(face.size, face.size)
    for step in (
        _draw_hair_back,
        _draw_head_shape,
        _draw_eyes,
        _draw_brows,
        _draw_nose,
        _draw_mouth,
        _draw_hair_front,
    ):
        step(canvas, face, state)
    rgb = canvas.rgb.astype(np.float32)
    if face.texture is not None:
        rgb *= face.texture[:, :, None]
    return rgb, canvas.alpha.astype(np.float32) / 255.0


def body_height(size: int) -> int:
    """Body and photo layers reach half a frame below the frame, so tilting never shows their edge."""
    return size + size // 2


def draw_body(face: CartoonFace) -> tuple[np.ndarray, np.ndarray]:
    """Neck and shoulders (static within a video). Shapes: -> (1.5 S, S, 3) and (1.5 S, S), as `draw_head`."""
    canvas = _Canvas(face.size, body_height(face.size))
    (cx, cy), (rx, ry), s = face.center, face.radii, face.size
    neck = np.array(
        [
            [cx - 0.38 * rx, cy + 0.4 * ry],
            [cx + 0.38 * rx, cy + 0.4 * ry],
            [cx + 0.42 * rx, s * 1.0],
            [cx - 0.42 * rx, s * 1.0],
        ]
    )
    canvas.poly(neck, _shade(face.skin, 0.8), outline=True)
    shoulder_y = cy + ry * 1.25 + 0.55 * s * 0.3
    canvas.ellipse((cx, shoulder_y), (2.6 * rx, 0.3 * s), face.shirt, outline=True)
    canvas.poly(
        np.array(
            [
                [cx - 0.4 * rx, shoulder_y - 0.3 * s],
                [cx + 0.4 * rx, shoulder_y - 0.3 * s],
                [cx, shoulder_y - 0.3 * s + 0.9 * rx],
            ]
        ),
        _shade(face.skin, 0.8),
        outline=True,
    )
    return canvas.rgb.astype(np.float32), canvas.alpha.astype(np.float32) / 255.0
