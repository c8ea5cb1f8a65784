"""Load MNIST and CIFAR-10 the way the assignments need them.

With ``NNLAB_DATA_DIR`` set, the files ``mnist.npz`` / ``cifar10.npz`` in that folder are
read (and validated); otherwise Keras' own cache and download are used. Raw arrays are
cached per process, so only the first call pays for decompression.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

DATA_DIR_ENV = "NNLAB_DATA_DIR"


class DatasetError(RuntimeError):
    """A dataset could not be loaded; the message says what to do."""


@dataclass(frozen=True)
class DatasetSpec:
    """What one dataset file must contain."""

    name: str
    filename: str
    image_shape: tuple[int, ...]
    train_size: int
    test_size: int
    label_shape: tuple[int, ...]  # trailing label dims: () for MNIST, (1,) for CIFAR-10
    class_names: tuple[str, ...]

    def expected_shapes(self) -> dict[str, tuple[int, ...]]:
        return {
            "x_train": (self.train_size, *self.image_shape),
            "y_train": (self.train_size, *self.label_shape),
            "x_test": (self.test_size, *self.image_shape),
            "y_test": (self.test_size, *self.label_shape),
        }


MNIST = DatasetSpec("mnist", "mnist.npz", (28, 28), 60_000, 10_000, (), tuple(str(d) for d in range(10)))
CIFAR10 = DatasetSpec(
    "cifar10", "cifar10.npz", (32, 32, 3), 50_000, 10_000, (1,),
    ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
)
SPECS = {spec.name: spec for spec in (MNIST, CIFAR10)}


class Split(NamedTuple):
    """Images and labels of one split."""

    x: np.ndarray
    y: np.ndarray


class Dataset(NamedTuple):
    """Train and test splits, ready for a model."""

    train: Split
    test: Split
    class_names: tuple[str, ...]


def _validate(arrays: dict[str, np.ndarray], spec: DatasetSpec, source: str) -> None:
    for key, shape in spec.expected_shapes().items():
        if key not in arrays:
            raise DatasetError(
                f"{source} has no array {key!r} (found: {', '.join(sorted(arrays)) or 'nothing'}). "
                f"Replace it with a complete copy of {spec.filename} (keys x_train, y_train, x_test, y_test)."
            )
        array = arrays[key]
        if array.shape != shape or array.dtype != np.uint8:
            raise DatasetError(
                f"{source}: {key} has shape {array.shape} and dtype {array.dtype}, expected {shape} uint8. "
                f"The file is not a copy of {spec.filename}; replace it."
            )
    for key in ("y_train", "y_test"):
        if arrays[key].size and int(arrays[key].max()) >= len(spec.class_names):
            raise DatasetError(f"{source}: {key} holds labels >= {len(spec.class_names)}; the file is corrupt.")


def _read_mirror(path: Path, spec: DatasetSpec) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise DatasetError(
            f"{DATA_DIR_ENV} is set to {path.parent}, but {path.name} is not there. "
            f"Put {spec.filename} in that folder, or unset {DATA_DIR_ENV} to use Keras' download."
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DatasetError(
            f"{path} could not be read ({type(error).__name__}: {error}). "
            f"It is corrupt or not an .npz file; copy {spec.filename} again."
        ) from error
    _validate(arrays, spec, str(path))
    return arrays


def _read_keras(spec: DatasetSpec) -> dict[str, np.ndarray]:
    import keras

    loader = getattr(keras.datasets, spec.name)
    try:
        (x_train, y_train), (x_test, y_test) = loader.load_data()
    except Exception as error:  # urllib, hash and archive errors all mean "not available"
        raise DatasetError(
            f"Could not download {spec.name} through Keras ({type(error).__name__}: {error}). "
            f"Without internet, point {DATA_DIR_ENV} at a folder holding mnist.npz and cifar10.npz, "
            f"e.g. `export {DATA_DIR_ENV}=/path/to/datasets` (the kit's docs/data-and-budgets.md; in a student bundle, its README)."
        ) from error
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    _validate(arrays, spec, f"keras.datasets.{spec.name}")
    return arrays


@lru_cache(maxsize=None)
def _raw_cached(name: str, mirror: str | None) -> dict[str, np.ndarray]:
    spec = SPECS[name]
    arrays = _read_mirror(Path(mirror) / spec.filename, spec) if mirror else _read_keras(spec)
    for array in arrays.values():
        array.setflags(write=False)  # shared by every caller in this process
    return arrays


def load_raw(name: str) -> dict[str, np.ndarray]:
    """Return the raw uint8 arrays (read-only, cached per process) of ``"mnist"`` or ``"cifar10"``."""
    if name not in SPECS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(SPECS)}")
    mirror = os.environ.get(DATA_DIR_ENV) or None
    if mirror is not None and not Path(mirror).is_dir():
        raise DatasetError(
            f"{DATA_DIR_ENV}={mirror} is not a folder. Point it at the folder that holds "
            f"mnist.npz and cifar10.npz, or unset it to use Keras' download."
        )
    return _raw_cached(name, str(Path(mirror).resolve()) if mirror else None)


def stratified_indices(labels: np.ndarray, size: int | None, seed: int = 0) -> np.ndarray:
    """Indices of a seeded subset of ``size`` items with the class balance of ``labels``.

    ``size=None`` (or ``size >= len(labels)``) keeps everything in the original order.
    """
    labels = np.asarray(labels).reshape(len(labels), -1)[:, 0] if np.ndim(labels) > 1 else np.asarray(labels)
    n = len(labels)
    if size is None or size >= n:
        return np.arange(n)
    if size <= 0:
        raise ValueError(f"subset size must be positive, got {size}")
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quotas = np.floor(counts / n * size).astype(int)
    remainder = size - quotas.sum()
    # hand the leftover slots to the classes with the largest fractional parts
    fractional = counts / n * size - quotas
    quotas[np.argsort(-fractional, kind="stable")[:remainder]] += 1
    chosen = [rng.choice(np.flatnonzero(labels == c), q, replace=False) for c, q in zip(classes, quotas)]
    return np.sort(np.concatenate(chosen))


def _prepare(x: np.ndarray, y: np.ndarray, *, flatten: bool, scale: bool, one_hot: bool, n_classes: int) -> Split:
    x = x.reshape(len(x), -1) if flatten else x
    x = x.astype("float32") / 255.0 if scale else x.astype("float32")
    y = y.reshape(-1).astype("int64")
    if one_hot:
        y = np.eye(n_classes, dtype="float32")[y]
    return Split(x, y)


def load(
    name: str,
    *,
    flatten: bool = False,
    scale: bool = True,
    one_hot: bool = True,
    train_size: int | None = None,
    test_size: int | None = None,
    seed: int = 0,
) -> Dataset:
    """Load ``"mnist"`` or ``"cifar10"`` as float32 images and (one-hot) labels.

    ``flatten`` turns each image into a vector (784 for MNIST); ``scale`` divides by 255;
    ``train_size`` / ``test_size`` take seeded, stratified subsets (``None`` = all).
    Returns fresh arrays: changing them never changes what the next call returns.
    """
    raw = load_raw(name)
    spec = SPECS[name]
    train_idx = stratified_indices(raw["y_train"], train_size, seed)
    test_idx = stratified_indices(raw["y_test"], test_size, seed + 1)
    options = dict(flatten=flatten, scale=scale, one_hot=one_hot, n_classes=len(spec.class_names))
    return Dataset(
        train=_prepare(raw["x_train"][train_idx], raw["y_train"][train_idx], **options),
        test=_prepare(raw["x_test"][test_idx], raw["y_test"][test_idx], **options),
        class_names=spec.class_names,
    )


def load_for_budget(name: str, budget=None, **options) -> Dataset:
    """Like :func:`load`, with subset sizes taken from the active budget (see ``helpers.budget``)."""
    from helpers.budget import get_budget

    budget = budget or get_budget()
    if name == "mnist":
        sizes = dict(train_size=budget.mnist_train, test_size=budget.mnist_test)
    else:
        sizes = dict(train_size=budget.cifar_train, test_size=budget.cifar_test)
    return load(name, **sizes, **options)


def standardize(x_train: np.ndarray, x_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale both splits to mean 0 / std 1 using the training split's statistics."""
    mean = float(x_train.mean())
    std = float(x_train.std()) or 1.0
    return ((x_train - mean) / std).astype("float32"), ((x_test - mean) / std).astype("float32")


def build_mirror(folder: str | Path) -> Path:
    """Write ``mnist.npz`` and ``cifar10.npz`` into ``folder`` from what ``load_raw`` returns.

    With internet and no mirror this saves Keras' downloads as a mirror for machines (or
    sandboxes) that have no network; files already there are kept.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, spec in SPECS.items():
        target = folder / spec.filename
        if not target.exists():
            partial = target.with_suffix(".partial.npz")
            np.savez_compressed(partial, **load_raw(name))
            partial.rename(target)
    return folder
