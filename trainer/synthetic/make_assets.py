"""Regenerate FOMM Studio's bundled assets, byte for byte: `python3 -m trainer.synthetic.make_assets [--out assets]`.

Writes avatars/astronaut.png (the public-domain NASA portrait cropped around the face),
avatars/cartoon-1.png and avatars/cartoon-2.png (drawn by the synthetic generator),
avatars/LICENSE.md, sample_driving.mp4 (a looping cartoon talking head, 7 s at 25 fps, 256x256)
and README.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from engine.atomic import atomic_write_text
from trainer.png import write_png
from trainer.synthetic.dataset_writer import write_mp4
from trainer.synthetic.licensed_images import LICENSED_IMAGES, load_image
from trainer.synthetic.render import cartoon_portrait, render_video
from trainer.synthetic.trajectory import MotionStyle

ASTRONAUT_CROP = (97, 0, 256)  # left, top, side: head and collar, no flag, no shuttle model
CARTOON_SEEDS = {"cartoon-1.png": 20, "cartoon-2.png": 10}
SAMPLE_SEED, SAMPLE_FRAMES, SAMPLE_FPS, SAMPLE_CRF = 107, 175, 25, 23
PNG_COMPRESSION = 9  # shipped files: smallest


def astronaut_avatar() -> np.ndarray:
    """Square 256x256 crop around Eileen Collins' face. Shapes: -> (256, 256, 3) uint8."""
    left, top, side = ASTRONAUT_CROP
    return np.ascontiguousarray(load_image("astronaut")[top : top + side, left : left + side])


def avatar_license() -> str:
    """The LICENSE entry of the bundled avatar (where the picture comes from and its terms)."""
    info = LICENSED_IMAGES["astronaut"]
    return "\n".join(
        [
            "# Avatar licenses",
            "",
            f"- `astronaut.png`: {info.title}, photograph by {info.author}; {info.license} "
            f'("No known copyright restrictions"). Source: {info.origin}, as shipped in scikit-image '
            f"(`skimage.data.astronaut()`), cropped to pixels x {ASTRONAUT_CROP[0]}..{sum(ASTRONAUT_CROP[::2])}, "
            f"y {ASTRONAUT_CROP[1]}..{ASTRONAUT_CROP[1] + ASTRONAUT_CROP[2]}.",
            *(
                f"- `{name}`: drawn procedurally by FOMM Studio's `trainer.synthetic` (seed {seed}); "
                "same license as FOMM Studio (MIT). Its background may contain a crop of a CC0 / public-domain "
                "scikit-image sample picture (see ../README.md)."
                for name, seed in CARTOON_SEEDS.items()
            ),
            "",
            "Regenerate with `python3 -m trainer.synthetic.make_assets`.",
            "",
        ]
    )


def assets_readme() -> str:
    """assets/README.md: what each bundled file is and how it was made."""
    return "\n".join(
        [
            "# FOMM Studio assets",
            "",
            "- `avatars/`: source images to animate; licenses in `avatars/LICENSE.md`.",
            f"- `sample_driving.mp4`: a looping driving clip ({SAMPLE_FRAMES / SAMPLE_FPS:.0f} s, {SAMPLE_FPS} fps, "
            "256x256, H.264) of a synthetic cartoon head turning, nodding, blinking and talking, rendered by "
            f"`trainer.synthetic` (seed {SAMPLE_SEED}). No real person or recording; same license as FOMM "
            "Studio (MIT).",
            "",
            "The files above are regenerated deterministically by `python3 -m trainer.synthetic.make_assets`.",
            "The synthetic generator's only third-party pixels are scikit-image sample pictures, all public "
            "domain or CC0:",
            "",
            *(
                f"- `skimage.data.{i.name}()`: {i.title}, {i.author}, {i.license}"
                for i in LICENSED_IMAGES.values()
            ),
            "",
        ]
    )


def make_assets(out: Path) -> list[Path]:
    """Write every asset under `out`; returns the written paths."""
    avatars = out / "avatars"
    written = [avatars / "astronaut.png"]
    write_png(written[0], astronaut_avatar(), compression=PNG_COMPRESSION)
    for name, seed in CARTOON_SEEDS.items():
        write_png(avatars / name, cartoon_portrait(seed, 512), compression=PNG_COMPRESSION)
        written.append(avatars / name)
    clip = render_video(SAMPLE_SEED, SAMPLE_FRAMES, 256, kind="cartoon", style=MotionStyle(loop=True)).frames
    write_mp4(out / "sample_driving.mp4", clip, SAMPLE_FPS, crf=SAMPLE_CRF)
    atomic_write_text(avatars / "LICENSE.md", avatar_license())
    atomic_write_text(out / "README.md", assets_readme())
    return [*written, out / "sample_driving.mp4", avatars / "LICENSE.md", out / "README.md"]


def main(argv: list[str] | None = None) -> int:
    """Write the bundled assets into --out, byte for byte reproducibly."""
    parser = argparse.ArgumentParser(description="Regenerate FOMM Studio's avatars and sample driving clip.")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "assets")
    args = parser.parse_args(argv)
    for path in make_assets(args.out):
        print(f"{path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
