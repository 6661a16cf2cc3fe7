import numpy as np
import pytest

from lerec.cameras.synthetic import (
    SyntheticCamera, SyntheticCameraConfig, read_frame_index, synthetic_depth, synthetic_rgb,
)
from lerec.errors import CameraError


def test_frames_are_a_pure_function_of_their_index():
    assert np.array_equal(synthetic_rgb(17, 64, 48), synthetic_rgb(17, 64, 48))
    assert not np.array_equal(synthetic_rgb(17, 64, 48), synthetic_rgb(18, 64, 48))
    assert np.array_equal(synthetic_depth(5, 64, 48), synthetic_depth(5, 64, 48))


@pytest.mark.parametrize("n", [0, 1, 2, 255, 4097, 65535])
def test_barcode_reads_back_the_frame_index(n):
    assert read_frame_index(synthetic_rgb(n, 640, 480, noise=8)) == n


def test_depth_has_no_data_corner_and_units():
    mm = synthetic_depth(0, 64, 48, "mm")
    m = synthetic_depth(0, 64, 48, "m")
    assert mm.dtype == np.uint16 and m.dtype == np.float32
    assert mm[-1, 0] == 0 and mm[0, -1] > 0
    assert np.allclose(m * 1000, mm, atol=0.5)


async def test_camera_delivers_frames_in_order_and_fails_on_request():
    cam = SyntheticCamera("front", SyntheticCameraConfig(width=32, height=24, fps=200, depth=True, fail_at=5))
    seen = []
    await cam.open()
    with pytest.raises(CameraError, match=r"camera 'front'.*fail_at=5"):
        async for frame in cam.frames():
            seen.append((frame.stream, frame.seq))
    await cam.close()
    assert seen == [(s, n) for n in range(5) for s in ("color", "depth")]


def test_config_errors_name_the_value():
    with pytest.raises(ValueError, match="fps must be a number above 0 and at most 1000, got -1"):
        SyntheticCameraConfig(fps=-1)
    with pytest.raises(ValueError, match="color or depth"):
        SyntheticCameraConfig(color=False, depth=False)


@pytest.mark.parametrize("n", range(0, 180, 7))
def test_waves_leave_room_for_the_noise_to_never_wrap(n):
    frame = synthetic_rgb(n, 64, 48)[48 // 8 :]  # below the barcode band
    assert frame.min() >= 38 and frame.max() <= 218
    noisy = synthetic_rgb(n, 64, 48, noise=32)[48 // 8 :].astype(int)
    assert np.abs(noisy - frame).max() <= 32


def test_a_grey_cell_is_no_evidence_and_a_clear_one_is():
    from lerec.cameras.barcode import cell_levels, contradicting_bits

    frame = synthetic_rgb(23, 640, 480)
    assert contradicting_bits(cell_levels(frame), 23) == []
    frame[:60, :40] = 110  # bit 0's cell smeared grey, as SVT-AV1's fastest preset leaves some
    assert contradicting_bits(cell_levels(frame), 23) == [] and read_frame_index(frame) == 22
    assert contradicting_bits(cell_levels(synthetic_rgb(22, 640, 480)), 23) == [0]
