"""The Train tab's run box: the device it starts on and the DataLoader workers it hands the trainer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.doubles import stub_gpus


def test_a_gpu_is_the_default_device_when_torch_sees_one(qtbot, monkeypatch) -> None:
    from ui.train.process_controls import ProcessControls

    stub_gpus(monkeypatch, ("NVIDIA H200", "NVIDIA H200"))
    with_gpus = ProcessControls()
    qtbot.addWidget(with_gpus)
    assert with_gpus.device() == "cuda" and with_gpus.processes.isEnabled()
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    cpu_only = ProcessControls()
    qtbot.addWidget(cpu_only)
    assert cpu_only.device() == "cpu" and not cpu_only.processes.isEnabled()


@pytest.mark.parametrize(("value", "expected"), [(-1, None), (0, 0), (3, 3)])
def test_the_chosen_loader_workers_reach_the_training_request(
    make_window, tmp_path: Path, value: int, expected: int | None
) -> None:
    panel = make_window().train
    assert panel.controls.workers.text() == "Auto"  # by default: the trainer's choice for the device
    panel.dataset_box.folder_edit.setText(str(tmp_path))
    panel.controls.workers.setValue(value)
    request = panel._request(tmp_path / "run", resume=False, config=None)
    assert request.num_workers == expected
