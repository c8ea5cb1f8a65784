"""Gaussian noise that is independent for every image, seeded, and never mutates its input."""

from __future__ import annotations

import math

import numpy as np

SeedLike = int | np.random.Generator | None


def _generator(seed: SeedLike) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _check_params(loc: float, scale: float) -> None:
    for label, value in (("loc", loc), ("scale", scale)):
        if not isinstance(value, (int, float, np.number)) or not math.isfinite(float(value)):
            raise ValueError(f"{label} must be a finite number, got {value!r}")
    if scale < 0:
        raise ValueError(f"scale is a standard deviation and must be >= 0, got {scale}")


def gaussian_noise(shape: tuple[int, ...], scale: float, *, loc: float = 0.0, seed: SeedLike = None) -> np.ndarray:
    """Draw float32 noise of exactly ``shape``: one independent sample per pixel of every image."""
    _check_params(loc, scale)
    return _generator(seed).normal(loc, scale, size=shape).astype("float32")


def add_gaussian_noise(
    images: np.ndarray,
    scale: float,
    *,
    loc: float = 0.0,
    clip: tuple[float, float] | None = None,
    seed: SeedLike = None,
) -> np.ndarray:
    """Return a float32 copy of ``images`` plus N(loc, scale) noise drawn with ``size=images.shape``.

    ``clip=(0.0, 1.0)`` keeps the result in the pixel range (the "clipped" variant of the
    assignment); ``clip=None`` leaves it unbounded (the "standardised, no clipping" variant).
    """
    images = np.asarray(images)
    if not np.issubdtype(images.dtype, np.number):
        raise TypeError(f"images must be numeric, got dtype {images.dtype}")
    noisy = images.astype("float32") + gaussian_noise(images.shape, scale, loc=loc, seed=seed)
    if clip is not None:
        low, high = clip
        if not low < high:
            raise ValueError(f"clip must be (low, high) with low < high, got {clip}")
        np.clip(noisy, low, high, out=noisy)
    return noisy
