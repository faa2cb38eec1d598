"""The Live tab's device: the picker lists each GPU torch sees, the choice reaches the model loader
(CUDA availability stubbed, the loader recording), a change restarts the view on the new device and is
remembered, and a heavy model on the CPU gets a warning that says what to do."""

from __future__ import annotations

import pytest

from fomm_studio.api import DeviceReport, FommModels, ModelEntry
from tests.doubles import stub_gpus
from ui.widgets.theme import WARN

pytestmark = pytest.mark.timeout(90)


@pytest.fixture()
def loaded_on(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The devices `ModelEntry.load` was asked for; the models still load on the CPU (the GPUs are
    stubs), so the live view runs for real."""
    devices: list[str] = []
    real_load = ModelEntry.load

    def recording_load(self: ModelEntry, device: str = "cpu") -> FommModels:
        devices.append(device)
        return real_load(self, "cpu")

    monkeypatch.setattr(ModelEntry, "load", recording_load)
    return devices


def test_the_chosen_device_reaches_the_loader_and_a_new_choice_restarts_on_it(
    qtbot, monkeypatch, make_window, avatar_path, loaded_on
) -> None:
    stub_gpus(monkeypatch, ("NVIDIA H200", "NVIDIA L4"), current=0)
    window = make_window()
    live, picker = window.live, window.live.device_picker
    assert picker.parent() is not None and picker.window() is window  # in the model bar
    labels = [picker.combo.itemText(i) for i in range(picker.combo.count())]
    assert labels == ["Auto (GPU if present)", "CPU", "GPU 0: NVIDIA H200", "GPU 1: NVIDIA L4"]
    assert picker.value() == "auto"
    live.gallery.add(avatar_path)
    with qtbot.waitSignal(live.frame_shown, timeout=30000):
        assert live.start()
    assert loaded_on == ["cuda:0"]  # 'auto' with a GPU present, with its index
    report = live.device_report
    assert report is not None and picker.used_label.text() == f"on {report.label}"
    qtbot.waitUntil(lambda: window.stats_label.text().endswith(f"dropped · {report.device}"), timeout=5000)

    picker.combo.setCurrentIndex(picker.combo.findData("cuda:1"))
    picker.combo.activated.emit(picker.combo.currentIndex())  # what a user's pick emits
    qtbot.waitUntil(lambda: len(loaded_on) == 2, timeout=30000)  # stopped, restarted, reloaded
    assert loaded_on == ["cuda:0", "cuda:1"]
    with qtbot.waitSignal(live.frame_shown, timeout=30000):
        pass
    assert live.settings.live_device == "cuda:1"
    live.shutdown()


def test_a_remembered_device_is_selected_and_one_this_machine_lacks_falls_back_to_auto(
    monkeypatch, make_window, tiny_entry
) -> None:
    from fomm_studio.api import Settings

    stub_gpus(monkeypatch, ("NVIDIA H200",))
    _registry, entry = tiny_entry
    remembered = make_window(Settings(model_id=entry.model_id, camera="synthetic", live_device="cuda:0"))
    assert remembered.live.device_picker.value() == "cuda:0" and remembered.live.device == "cuda:0"
    gone = make_window(Settings(model_id=entry.model_id, camera="synthetic", live_device="cuda:3"))
    assert gone.live.device_picker.value() == "auto"


def test_a_heavy_model_on_the_cpu_shows_a_warning_by_the_model_picker(make_window) -> None:
    window = make_window()
    heavy = DeviceReport("cpu", "CPU", 89.3)
    window.live._on_device_ready(heavy)  # what the worker reports once the model is loaded
    badge = window.live.device_picker.used_label
    assert badge.text() == "on cpu: too slow for this model" and WARN in badge.styleSheet()
    assert "89 GFLOP" in badge.toolTip() and "Use a GPU" in badge.toolTip()
    assert window.status_label.text() == heavy.warning
    window.live._on_device_ready(DeviceReport("cuda:0", "NVIDIA H200", 89.3))
    assert badge.text() == "on cuda:0 · NVIDIA H200" and WARN not in badge.styleSheet()


def test_the_animate_tab_offers_the_same_devices_auto_first_and_hands_its_choice_to_the_job(
    qtbot, monkeypatch, make_window, avatar_path, driving_video, tmp_path
) -> None:
    import ui.animate.panel

    stub_gpus(monkeypatch, ("NVIDIA H200",))
    asked: list[str] = []

    def run(job, progress=None, cancel=None):
        asked.append(job.device)  # the AnimationJob the panel built
        return tmp_path / "out.mp4"

    monkeypatch.setattr(ui.animate.panel.AnimationJob, "run", run)
    panel = make_window().animate
    assert panel.device.value() == "auto" and panel.device.findData("cuda:0") >= 0
    panel.source_edit.setText(str(avatar_path))
    panel.driving_edit.setText(str(driving_video))
    panel.device.set_value("cuda:0")
    with qtbot.waitSignal(panel.job_finished, timeout=10000):
        panel.start_job()
    assert asked == ["cuda:0"] and panel.settings.animate_device == "cuda:0"
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=10000)


def test_main_device_argument_reaches_the_live_tab(monkeypatch, make_window, tiny_entry) -> None:
    from fomm_studio.api import FommError, Settings
    from ui.app import build_parser, check_arguments

    stub_gpus(monkeypatch, ("NVIDIA H200", "NVIDIA L4"))
    registry, entry = tiny_entry
    settings = Settings(model_id=entry.model_id, camera="synthetic")
    check_arguments(build_parser().parse_args(["--device", "cuda:1"]), settings, registry)
    assert settings.live_device == "cuda:1"
    window = make_window(settings)
    assert window.live.device == "cuda:1" and window.live.device_picker.value() == "cuda:1"
    with pytest.raises(FommError, match=r"'cuda:2' requested but torch sees 2 CUDA GPU"):
        check_arguments(build_parser().parse_args(["--device", "cuda:2"]), Settings(), registry)


def test_the_backend_choice_reaches_the_live_view_is_remembered_and_shown(
    qtbot, make_window, avatar_path, tiny_entry, tiny_export
) -> None:
    from fomm_studio.api import BACKEND_REQUESTS, Settings

    _registry, entry = tiny_entry
    window = make_window(Settings(model_id=entry.model_id, camera="synthetic", live_backend="torch"))
    live, picker = window.live, window.live.device_picker
    combo = picker.backend_combo
    assert [combo.itemData(i) for i in range(combo.count())] == list(BACKEND_REQUESTS)
    assert combo.itemText(0) == "Fastest available" and picker.backend() == "torch"
    live.gallery.add(avatar_path)
    with qtbot.waitSignal(live.frame_shown, timeout=30000):
        assert live.start()
    qtbot.waitUntil(lambda: picker.backend_label.text() == "runs on torch", timeout=5000)
    combo.setCurrentIndex(combo.findData("openvino"))
    combo.activated.emit(combo.currentIndex())  # what a user's pick emits: remembered, view restarted
    assert live.settings.live_backend == "openvino"
    # built in the background while torch keeps animating, then the frames move over (no overlays on)
    qtbot.waitUntil(lambda: picker.backend_label.text() == "runs on openvino", timeout=60000)
    live.shutdown()


def test_a_backend_this_version_does_not_know_falls_back_to_auto(make_window, tiny_entry) -> None:
    from fomm_studio.api import Settings

    _registry, entry = tiny_entry
    window = make_window(Settings(model_id=entry.model_id, camera="synthetic", live_backend="onnx"))
    assert window.live.device_picker.backend() == "auto"


def test_main_backend_argument_is_checked_and_reaches_the_settings(tiny_entry) -> None:
    from fomm_studio.api import Settings
    from ui.app import build_parser, check_arguments

    registry, _entry = tiny_entry
    settings = Settings()
    check_arguments(build_parser().parse_args(["--backend", "openvino-mixed"]), settings, registry)
    assert settings.live_backend == "openvino-mixed"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--backend", "onnx"])
