import numpy as np
import pytest

from reference import noise


def test_noise_is_independent_per_image():
    images = np.zeros((100, 784), np.float32)
    noisy = noise.add_gaussian_noise(images, 0.5, seed=0)
    assert noisy.shape == images.shape
    # no two images share a noise vector
    assert not np.any(np.all(np.isclose(noisy[1:], noisy[0]), axis=1))


def test_statistics_match_loc_and_scale():
    noisy = noise.add_gaussian_noise(np.zeros((200, 28, 28)), 2.0, loc=0.3, seed=1)
    assert abs(noisy.mean() - 0.3) < 0.02 and abs(noisy.std() - 2.0) < 0.02


@pytest.mark.parametrize("shape", [(5, 784), (5, 28, 28), (5, 32, 32, 3), (784,)])
def test_any_shape_float32(shape):
    out = noise.add_gaussian_noise(np.ones(shape, np.uint8), 0.1, seed=2)
    assert out.shape == shape and out.dtype == np.float32


def test_input_not_mutated():
    images = np.random.default_rng(0).random((10, 784)).astype(np.float32)
    before = images.copy()
    noise.add_gaussian_noise(images, 1.0, seed=0, clip=(0.0, 1.0))
    assert np.array_equal(images, before)


def test_seeded_reproducible_and_generator_accepted():
    x = np.zeros((4, 10))
    assert np.array_equal(noise.add_gaussian_noise(x, 1, seed=5), noise.add_gaussian_noise(x, 1, seed=5))
    assert not np.array_equal(noise.add_gaussian_noise(x, 1, seed=5), noise.add_gaussian_noise(x, 1, seed=6))
    rng = np.random.default_rng(5)
    assert np.array_equal(noise.add_gaussian_noise(x, 1, seed=rng), noise.add_gaussian_noise(x, 1, seed=5))


def test_clipping():
    out = noise.add_gaussian_noise(np.full((50, 50), 0.5), 4.0, seed=0, clip=(0.0, 1.0))
    assert out.min() == 0.0 and out.max() == 1.0
    unclipped = noise.add_gaussian_noise(np.full((50, 50), 0.5), 4.0, seed=0)
    assert unclipped.min() < 0 and unclipped.max() > 1


@pytest.mark.parametrize("loc, scale, message", [
    (0.0, -1.0, "must be >= 0"), (0.0, float("nan"), "finite"), (float("inf"), 1.0, "finite"), ("0", 1.0, "finite"),
])
def test_invalid_parameters(loc, scale, message):
    with pytest.raises(ValueError, match=message):
        noise.add_gaussian_noise(np.zeros((2, 2)), scale, loc=loc)


def test_bad_clip_and_dtype():
    with pytest.raises(ValueError, match="low < high"):
        noise.add_gaussian_noise(np.zeros((2, 2)), 1.0, clip=(1.0, 0.0))
    with pytest.raises(TypeError, match="numeric"):
        noise.add_gaussian_noise(np.array([["a"]]), 1.0)
