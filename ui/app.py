"""FOMM Studio's GUI entry point: `python main.py` / `fomm-studio`.

With no arguments it opens on the remembered (or default) model and avatar, driven by camera 0 or,
without a camera, the looping sample clip. For scripted runs and CI:

    python main.py --camera synthetic --avatar assets/avatars/a.png --checkpoint K.pth.tar \\
        --exit-after-frames 20 --screenshot shot.png

opens the real window (QT_QPA_PLATFORM=offscreen works), animates N frames with the keypoint and
occlusion overlays on, saves a screenshot of the window, prints one JSON line of statistics and exits:
frames, fps, camera-to-screen latency (p50/p95 ms), the device the model ran on ("cuda:0", "cpu") and
its GPU's name, the backend of the last frames and their own fps (`auto` starts on torch and switches once
the exported backend is ready), dropped frames and the mean time of each stage. `--device` (default auto: the GPU when
torch sees one) chooses where the Live tab runs the model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from fomm_studio.api import (
    AVATARS_DIR,
    BACKEND_REQUESTS,
    DEFAULT_MODEL_ID,
    IMAGE_SUFFIXES,
    SAMPLE_DRIVING,
    STAGES,
    FommError,
    ModelRegistry,
    Settings,
    concrete_device,
    load_settings,
    make_feed,
    read_image,
)


def build_parser() -> argparse.ArgumentParser:
    """The app's options: camera, avatar, model, device, and the scripted (headless) run."""
    parser = argparse.ArgumentParser(prog="fomm-studio", description="FOMM Studio: live avatar puppeteering.")
    parser.add_argument(
        "--camera",
        metavar="SOURCE",
        help="camera index, video file, 'synthetic' or 'auto' (camera 0, else the sample clip)",
    )
    parser.add_argument("--avatar", metavar="IMG", type=Path, help="avatar image to animate")
    parser.add_argument(
        "--model", metavar="ID", help=f"model id from the registry (default {DEFAULT_MODEL_ID})"
    )
    parser.add_argument(
        "--device",
        help="where the live model runs: auto (the GPU when torch sees one, else the CPU), cpu, cuda or "
        "cuda:N (default: the Live tab's last choice, auto at first)",
    )
    parser.add_argument(
        "--backend",
        choices=BACKEND_REQUESTS,
        help="how the CPU runs the live frame: auto (start on torch, switch to the fastest exported backend "
        "that passes its fidelity guard), torch, or an exported backend (default: the Live tab's last choice)",
    )
    parser.add_argument(
        "--no-overlays",
        action="store_true",
        help="scripted run without the keypoint and occlusion overlays (both stay on an exported backend; "
        "only the heatmap, mask and deformed-source overlays run their frames on torch)",
    )
    parser.add_argument(
        "--config", type=Path, help="FOMM config (.yaml) of --checkpoint (default: detected from its tensors)"
    )
    parser.add_argument("--checkpoint", type=Path, help="checkpoint (.pth.tar) to animate with")
    parser.add_argument(
        "--exit-after-frames",
        metavar="N",
        type=int,
        help="animate N frames, print one JSON line of statistics and exit",
    )
    parser.add_argument("--screenshot", metavar="OUT.png", type=Path, help="save a window screenshot at exit")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="give up a scripted run after this many s"
    )
    return parser


class StartupError(FommError):
    """A command-line argument the app cannot start with; printed as one line."""


def check_arguments(args: argparse.Namespace, settings: Settings, registry: ModelRegistry) -> None:
    """Validate the avatar, source and model before any window opens; raise StartupError naming the problem."""
    if args.config is not None and args.checkpoint is None:
        raise StartupError("--config needs the --checkpoint it belongs to")
    if args.avatar is not None:
        read_image(args.avatar)  # raises MediaError naming the file
        settings.avatar = str(args.avatar)
    if args.camera is not None:
        check_source(args.camera)
        settings.camera = args.camera
    if args.device is not None:
        concrete_device(args.device)  # raises FommError naming the device and what torch sees
        settings.live_device = args.device
    if args.checkpoint is not None:
        if args.config is None:  # detect its config now: a checkpoint of none fails before the window
            entry = registry.add_checkpoint(args.checkpoint)
            registry.check(entry.model_id)
        else:
            entry = registry.add_files(args.config, args.checkpoint)
        settings.model_id = entry.model_id
    elif args.model is not None:
        settings.model_id = registry.get(args.model).model_id
    if args.backend is not None:
        settings.live_backend = args.backend
    if args.exit_after_frames is not None and args.exit_after_frames < 1:
        raise StartupError(f"--exit-after-frames must be at least 1, got {args.exit_after_frames}")


def check_source(spec: str) -> None:
    """Open the source and read one frame, so a bad --camera fails at once with its own message."""
    source = make_feed(spec, SAMPLE_DRIVING)
    source.open()
    try:
        source.read()
    finally:
        source.close()


def default_avatar(settings: Settings) -> Path | None:
    """The remembered avatar while its file exists, else the bundled astronaut."""
    remembered = Path(settings.avatar) if settings.avatar else None
    if remembered is not None and remembered.is_file():
        return remembered
    if AVATARS_DIR.is_dir():
        for path in sorted(AVATARS_DIR.iterdir()):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                return path
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """`python main.py` / `fomm-studio`: the window, or a scripted run that prints one JSON line."""
    args = build_parser().parse_args(argv)
    scripted = args.exit_after_frames is not None
    settings = Settings() if scripted else load_settings()
    registry = ModelRegistry()
    registry.restore(settings.custom_models)
    try:
        check_arguments(args, settings, registry)
    except FommError as exc:
        print(f"fomm-studio: error: {exc}", file=sys.stderr)
        return 2
    if scripted and not args.no_overlays:
        settings.overlay_keypoints = settings.overlay_occlusion = True
    return run_gui(args, settings, registry, scripted)


def run_gui(args: argparse.Namespace, settings: Settings, registry: ModelRegistry, scripted: bool) -> int:
    """Create the application and main window; PySide6 is imported here, so `--help` stays fast."""
    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow
    from ui.widgets.theme import apply_dark_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("FOMM Studio")
    apply_dark_theme(app)  # type: ignore[arg-type]
    window = MainWindow(settings, registry, save_on_close=not scripted)
    window.live.gallery.populate()
    avatar = default_avatar(settings)
    if avatar is not None:
        window.live.gallery.add(avatar)
    window.show()
    if scripted:
        return ScriptedRun(window, args).exec(app)  # type: ignore[arg-type]
    if window.current_model().is_ready:
        window.live.start()
    return int(app.exec())


class ScriptedRun:
    """Drives a `--exit-after-frames` run: start, count frames, screenshot, JSON line, exit code."""

    def __init__(self, window: object, args: argparse.Namespace):
        from PySide6.QtCore import QTimer

        self.window = window
        self.args = args
        self.code = 0
        self.first_frame_at: float | None = None
        self.last_frame_at = 0.0
        self.frames = 0
        self.backend, self.backend_since, self.backend_frames = "", 0.0, 0  # the newest frame's backend
        self.timeout = QTimer()
        self.timeout.setSingleShot(True)
        self.timeout.timeout.connect(lambda: self.finish(f"timed out after {args.timeout:.0f} s", 3))

    def exec(self, app: object) -> int:
        from PySide6.QtCore import QTimer

        live = self.window.live  # type: ignore[attr-defined]
        self.app = app
        live.frame_shown.connect(self._on_frame)
        live.error.connect(lambda text: self.finish(text, 1))
        QTimer.singleShot(0, self._start)
        self.timeout.start(int(self.args.timeout * 1000))
        app.exec()  # type: ignore[attr-defined]
        return self.code

    def _start(self) -> None:
        if not self.window.live.start():  # type: ignore[attr-defined]
            self.finish("could not start the live view", 1)

    def _on_frame(self, frame: object) -> None:
        now = time.perf_counter()
        if self.first_frame_at is None:
            self.first_frame_at = now
        self.frames += 1
        self.last_frame_at = now
        backend = getattr(frame, "backend", "torch")
        if backend != self.backend:  # the view switched (auto: torch first, then the exported one)
            self.backend, self.backend_since, self.backend_frames = backend, now, 0
        self.backend_frames += 1
        if self.frames >= self.args.exit_after_frames:
            self.finish(None, 0)

    def stats(self) -> dict[str, object]:
        live = self.window.live  # type: ignore[attr-defined]
        worker = live.worker
        span = self.last_frame_at - (self.first_frame_at or self.last_frame_at)
        fps = _rate(self.frames, span)
        means = live.stats.mean_timings(last=self.frames)
        p50, p95 = live.latency_percentiles(last=self.frames)
        report = live.device_report
        return {
            "frames": self.frames,
            "fps": round(fps, 2),
            "latency_ms": {"p50": round(p50, 1), "p95": round(p95, 1)},
            "device": report.device if report is not None else None,
            "gpu": report.name if report is not None and report.device != "cpu" else None,
            "backend": self.backend or None,
            "backend_fps": round(_rate(self.backend_frames, self.last_frame_at - self.backend_since), 2),
            "dropped": worker.dropped if worker else 0,
            "stage_ms": {name: round(means.get(name, 0.0), 2) for name in STAGES},
        }

    def finish(self, error: str | None, code: int) -> None:
        if getattr(self, "_done", False):
            return
        self._done = True
        self.timeout.stop()
        window = self.window
        stats = self.stats()
        if self.args.screenshot is not None:  # while still running, as the user sees it
            self.args.screenshot.parent.mkdir(parents=True, exist_ok=True)
            if not window.grab().save(str(self.args.screenshot)):  # type: ignore[attr-defined]
                error, code = error or f"{self.args.screenshot}: could not write the screenshot", code or 1
        window.live.shutdown()  # type: ignore[attr-defined]
        if error is None:
            print(json.dumps(stats), flush=True)
        else:
            print(f"fomm-studio: error: {error.splitlines()[0]}", file=sys.stderr, flush=True)
        self.code = code
        window.close()  # type: ignore[attr-defined]
        self.app.quit()  # type: ignore[attr-defined]


def _rate(frames: int, span: float) -> float:
    """Frames a second over `frames` frames shown within `span` seconds (first to last)."""
    return (frames - 1) / span if frames > 1 and span > 0 else 0.0
