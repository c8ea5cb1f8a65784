
import numpy as np
import pytest

from helpers import data


def test_mirror_mnist_shapes_and_scaling(mirror):
    ds = data.load("mnist", flatten=True)
    assert ds.train.x.shape == (60000, 784) and ds.test.x.shape == (10000, 784)
    assert ds.train.x.dtype == np.float32 and 0.0 <= ds.train.x.min() and ds.train.x.max() == 1.0
    assert ds.train.y.shape == (60000, 10) and np.all(ds.train.y.sum(axis=1) == 1)


def test_cifar_image_shape_and_sparse_labels(mirror):
    ds = data.load("cifar10", one_hot=False, train_size=500, test_size=100)
    assert ds.train.x.shape == (500, 32, 32, 3) and ds.train.y.shape == (500,)
    assert ds.class_names[0] == "airplane"


def test_second_load_is_cached(mirror):
    data.load_raw("cifar10")
    import time
    start = time.perf_counter()
    raw = data.load_raw("cifar10")
    assert time.perf_counter() - start < 0.05
    assert not raw["x_train"].flags.writeable


def test_returned_arrays_are_fresh(mirror):
    first = data.load("mnist", train_size=100, test_size=100)
    first.train.x[:] = 7
    second = data.load("mnist", train_size=100, test_size=100)
    assert second.train.x.max() <= 1.0


def test_stratified_subset_is_seeded_and_balanced(mirror):
    labels = data.load_raw("mnist")["y_train"]
    a = data.stratified_indices(labels, 1000, seed=3)
    b = data.stratified_indices(labels, 1000, seed=3)
    c = data.stratified_indices(labels, 1000, seed=4)
    assert len(a) == 1000 and len(set(a)) == 1000
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    full_share = np.bincount(labels) / len(labels)
    subset_share = np.bincount(labels[a], minlength=10) / 1000
    assert np.abs(full_share - subset_share).max() <= 0.0015


def test_offline_without_mirror_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("NNLAB_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # empty cache -> Keras must download

    def no_network(*args, **kwargs):
        raise OSError("URL fetch failure: network unreachable")

    import keras
    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    data._raw_cached.cache_clear()
    with pytest.raises(data.DatasetError, match="NNLAB_DATA_DIR") as error:
        data.load_raw("mnist")
    assert "mnist.npz" in str(error.value)


def test_without_mirror_uses_keras(monkeypatch, mirror):
    monkeypatch.delenv("NNLAB_DATA_DIR", raising=False)
    calls = []
    real = np.load(mirror / "mnist.npz")

    def fake_keras_load():
        calls.append(1)
        return (real["x_train"], real["y_train"]), (real["x_test"], real["y_test"])

    import keras
    monkeypatch.setattr(keras.datasets.mnist, "load_data", fake_keras_load)
    data._raw_cached.cache_clear()
    assert data.load_raw("mnist")["x_train"].shape == (60000, 28, 28)
    assert calls == [1]


def test_mirror_folder_missing_file(monkeypatch, tmp_path):
    monkeypatch.setenv("NNLAB_DATA_DIR", str(tmp_path))
    with pytest.raises(data.DatasetError, match="mnist.npz is not there"):
        data.load_raw("mnist")


def test_mirror_not_a_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("NNLAB_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(data.DatasetError, match="is not a folder"):
        data.load_raw("mnist")


def test_corrupt_mirror_file(monkeypatch, tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"this is not a zip archive")
    monkeypatch.setenv("NNLAB_DATA_DIR", str(tmp_path))
    with pytest.raises(data.DatasetError, match="corrupt or not an .npz"):
        data.load_raw("mnist")


def test_wrong_shape_mirror_file(monkeypatch, tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((10, 28, 28), np.uint8), y_train=np.zeros(10, np.uint8),
             x_test=np.zeros((10, 28, 28), np.uint8), y_test=np.zeros(10, np.uint8))
    monkeypatch.setenv("NNLAB_DATA_DIR", str(tmp_path))
    with pytest.raises(data.DatasetError, match=r"x_train has shape \(10, 28, 28\)"):
        data.load_raw("mnist")


def test_missing_key_mirror_file(monkeypatch, tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((60000, 28, 28), np.uint8))
    monkeypatch.setenv("NNLAB_DATA_DIR", str(tmp_path))
    with pytest.raises(data.DatasetError, match="has no array 'y_train'"):
        data.load_raw("mnist")


def test_budget_subsets(monkeypatch, mirror):
    from helpers.budget import get_budget
    ds = data.load_for_budget("mnist", get_budget("smoke"), flatten=True)
    assert len(ds.train.x) == get_budget("smoke").mnist_train


def test_standardize_uses_training_statistics():
    train = np.array([[0.0, 2.0], [4.0, 6.0]], np.float32)
    test = np.array([[3.0, 3.0]], np.float32)
    s_train, s_test = data.standardize(train, test)
    assert abs(s_train.mean()) < 1e-6 and abs(s_train.std() - 1) < 1e-6
    assert np.allclose(s_test, 0.0)


def test_build_mirror_round_trip(monkeypatch, tmp_path, mirror):
    from helpers.data import build_mirror

    small = tmp_path / "source"
    small.mkdir()
    raw = data.load_raw("mnist")
    np.savez(small / "mnist.npz", **raw)
    monkeypatch.setenv("NNLAB_DATA_DIR", str(small))
    monkeypatch.setattr(data, "SPECS", {"mnist": data.MNIST})
    built = build_mirror(tmp_path / "mirror")
    with np.load(built / "mnist.npz") as copy:
        assert np.array_equal(copy["x_train"], raw["x_train"]) and np.array_equal(copy["y_test"], raw["y_test"])
