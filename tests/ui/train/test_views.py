"""The Train tab's plots: readable axes for a constant learning rate, curves that stay apart, log-scale
labels that do not collide, the legend outside the curves, and plots that keep their height."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from fomm_studio.api import Series
from ui.train.views import CurvePlot, ValueAxis, value_range


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([2e-4] * 6, (0.0, 4e-4)),
        ([0.0, 0.0], (0.0, 1.0)),
        ([], (0.0, 1.0)),
        ([1e-4, 2e-4], (0.0, 2.2e-4)),
        ([-1.0, 1.0], (-1.2, 1.2)),
    ],
)
def test_value_range(values, expected) -> None:
    assert value_range(values) == pytest.approx(expected)


def test_a_constant_learning_rate_gets_a_readable_axis_and_two_visible_lines(qtbot) -> None:
    plot = CurvePlot("Learning rate", log_y=False, y_label="lr")
    qtbot.addWidget(plot)
    plot.resize(600, 220)
    plot.show()
    steps = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    plot.show_series({"generator": Series(steps, [2e-4] * 6), "kp_detector": Series(steps, [2e-4] * 6)})
    QApplication.processEvents()
    low, high = plot.plot.getViewBox().viewRange()[1]
    assert low == 0.0 and high == pytest.approx(4e-4)
    axis = plot.plot.getAxis("left")
    assert "x0.001" not in axis.labelString() and "lr" in axis.labelString()
    spacing, major = axis.tickValues(low, high, 200)[0]
    assert axis.tickStrings(major, axis.scale, spacing) == ["0", "0.0001", "0.0002", "0.0003", "0.0004"]
    pens = [curve.opts["pen"] for curve in plot.curves.values()]
    assert pens[0].style() != pens[1].style()  # the dashed line lets the one under it show


def test_log_axis_labels_only_one_two_and_five() -> None:
    axis = ValueAxis("left")
    axis.setLogMode(False, True)
    exponents = [-1.0, -0.69897, -0.52288, -0.30103, -0.22185, 0.0]  # 0.1 0.2 0.3 0.5 0.6 1
    assert axis.tickStrings(exponents, 1.0, 0.1) == ["0.1", "0.2", "", "0.5", "", "1"]


def test_the_legend_is_below_the_curves(qtbot) -> None:
    plot = CurvePlot("Loss terms (log scale)", log_y=True)
    qtbot.addWidget(plot)
    plot.resize(500, 200)
    plot.show()
    names = ["reconstruction", "equivariance_value", "equivariance_jacobian", "perceptual", "total"]
    plot.show_series({name: Series([1.0, 2.0], [0.5, 0.4]) for name in names})
    QApplication.processEvents()
    assert plot.plot.getPlotItem().legend is None  # nothing drawn over the curves
    assert all(name in plot.legend.text() for name in names)
    assert plot.legend.geometry().top() >= plot.plot.geometry().bottom()
    assert plot.legend.isVisible()


def test_plots_keep_their_height_at_1280x800_with_the_process_output_open(qtbot, make_window) -> None:
    window = make_window()
    window.tabs.setCurrentWidget(window.train)
    view = window.train.run_view
    view.log_view.set_expanded(True)
    QApplication.processEvents()
    assert view.log_view.text.isVisible() and view.log_view.text.height() >= 80
    assert view.loss_plot.plot.height() >= 150 and view.lr_plot.plot.height() >= 100
    assert view.sample_view.height() >= 100
