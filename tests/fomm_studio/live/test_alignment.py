"""The alignment overlay and its figure: how far the driving keypoints are from the avatar's."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from fomm_studio.live.alignment import alignment_error, blend_avatar, spread_scale
from fomm_studio.live.messages import LiveOptions, SetOptions
from fomm_studio.live.pipeline import LivePipeline

FACE = np.array([[-0.3, -0.2], [0.3, -0.2], [0.0, 0.1], [-0.2, 0.4], [0.2, 0.4]])  # (K, 2) in [-1, 1]


def test_the_figure_is_zero_when_the_driving_keypoints_are_the_avatars() -> None:
    assert alignment_error(FACE, FACE.copy()) == pytest.approx(0.0, abs=1e-9)


def test_the_figure_grows_with_the_offset_in_percent_of_the_frame() -> None:
    figures = [alignment_error(FACE, FACE + np.array([dx, 0.0])) for dx in (0.02, 0.1, 0.4)]
    # an offset of 0.1 in [-1, 1] coordinates is 5 % of the frame side, for every keypoint
    assert figures == pytest.approx([1.0, 5.0, 20.0])
    assert alignment_error(FACE, FACE + np.array([0.06, 0.08])) == pytest.approx(5.0)  # 0.1 diagonally


def test_a_nearer_face_in_the_same_place_is_aligned_a_turned_one_is_not() -> None:
    centre = FACE.mean(axis=0)
    nearer = centre + (FACE - centre) * 1.5  # same pose, bigger in the frame
    assert spread_scale(FACE, nearer) == pytest.approx(1 / 1.5)
    assert alignment_error(FACE, nearer) == pytest.approx(0.0, abs=1e-9)
    turned = FACE.copy()
    turned[:, 0] = -turned[:, 0] * 0.6 + 0.1  # squeezed and shifted: another pose
    assert alignment_error(FACE, turned) > 3.0


def test_mismatched_keypoints_are_refused_with_their_shapes() -> None:
    with pytest.raises(ValueError, match=r"\(5, 2\) and \(4, 2\)"):
        alignment_error(FACE, FACE[:4])


def test_blending_lays_the_avatar_over_the_driving_pane_at_the_opacity() -> None:
    driving = np.full((8, 8, 3), 200, np.uint8)
    avatar = np.zeros((16, 16, 3), np.uint8)
    assert np.array_equal(blend_avatar(driving, avatar, 0.0), driving)
    assert np.all(blend_avatar(driving, avatar, 0.25) == 150)
    assert np.all(blend_avatar(driving, avatar, 1.0) == 0)
    assert blend_avatar(driving, avatar, 0.5).shape == (8, 8, 3)


def test_the_pipeline_reports_the_figure_and_blends_while_aligning(tiny_pipeline: LivePipeline) -> None:
    plain = tiny_pipeline.step()
    assert plain.alignment is not None and plain.alignment >= 0.0
    tiny_pipeline.apply(SetOptions(replace(tiny_pipeline.options, align_opacity=0.6)))
    tiny_pipeline.feed.frame_index -= 1  # type: ignore[union-attr]  # the same camera frame again
    aligning = tiny_pipeline.step()
    assert aligning.alignment == pytest.approx(plain.alignment, abs=1e-4)
    assert np.array_equal(aligning.panes.output, plain.panes.output)  # the model saw the same frame
    changed = np.abs(aligning.panes.driving.astype(int) - plain.panes.driving.astype(int)).mean()
    assert changed > 5  # the driving pane shows the avatar over the crop
    expected = blend_avatar(plain.panes.driving, plain.panes.avatar, 0.6)
    assert np.abs(aligning.panes.driving.astype(int) - expected.astype(int)).max() <= 1
    assert LiveOptions().align_opacity == 0.0  # off unless the user is aligning
