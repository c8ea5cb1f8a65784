import numpy as np
import pytest

from helpers import checks
from reference import models


def good_noise(images, scale, loc=0.0, seed=None):
    rng = np.random.default_rng(seed)
    return images + rng.normal(loc, scale, size=images.shape)


def shared_vector(images, scale, loc=0.0, seed=None):
    rng = np.random.default_rng(seed)
    return images + rng.normal(loc, scale, size=images[1].shape)


def in_place(images, scale, loc=0.0, seed=None):
    images += np.random.default_rng(seed).normal(loc, scale, size=images.shape).astype(images.dtype)
    return images


def unseeded(images, scale, loc=0.0, seed=None):
    return images + np.random.normal(loc, scale, size=images.shape)


def swapped(images, scale, loc=0.0, seed=None):
    return images + np.random.default_rng(seed).normal(scale, loc + 1.0, size=images.shape)


def per_pixel_broadcast(images, scale, loc=0.0, seed=None):
    rng = np.random.default_rng(seed)
    return images + rng.normal(loc, scale, size=(len(images), 1))


def per_column_broadcast(images, scale, loc=0.0, seed=None):
    rng = np.random.default_rng(seed)
    return images + rng.normal(loc, scale, size=(1, images.shape[1]))


def test_good_noise_passes():
    checks.check_noise_function(good_noise)


@pytest.mark.parametrize("bad, message", [
    (shared_vector, "identical for images 0 and 1"),
    (in_place, "changed its input"),
    (unseeded, "same seed gave different"),
    (swapped, "expected loc"),
    (per_pixel_broadcast, "every pixel of image 0 got the same"),
    (per_column_broadcast, "identical for images 0 and 1"),
    (lambda images, scale, loc=0.0, seed=None: images, "unchanged"),
    (lambda images, scale, loc=0.0, seed=None: images[0], "returned shape"),
])
def test_bad_noise_is_rejected(bad, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_noise_function(bad)


def test_check_noised():
    clean = np.zeros((10, 784))
    checks.check_noised(clean, good_noise(clean, 0.5, seed=0), split="test")
    with pytest.raises(AssertionError, match="add noise to the test set"):
        checks.check_noised(clean, clean.copy(), split="test")
    with pytest.raises(AssertionError, match="same noise as image 0"):
        checks.check_noised(clean, shared_vector(clean, 0.5, seed=0), split="train")


def test_parameter_and_structure_checks():
    model = models.mlp((256, 64), batchnorm=True)
    checks.check_parameter_counts(model, total=219_338, non_trainable=640)
    with pytest.raises(AssertionError, match="219,338 parameters, expected 218,058"):
        checks.check_parameter_counts(model, total=218_058)
    with pytest.raises(AssertionError, match="expected"):
        checks.check_structure(model, ["Dense", "Dense", "Dense"])
    checks.check_output_layer(model)
    with pytest.raises(AssertionError, match="softmax"):
        checks.check_output_layer(models.mlp((8,)), n_classes=5)


def test_accuracy_check_recomputes(mirror):
    from helpers import data
    ds = data.load("mnist", flatten=True, train_size=200, test_size=200)
    untrained = models.mlp((16,))
    with pytest.raises(AssertionError, match="below the 80.0% expected"):
        checks.check_accuracy(untrained, ds.test.x, ds.test.y, threshold=0.8, what="the clean MLP")


def test_sweep_and_decline_checks():
    from tests.test_plots_tables import record
    records = [record("r", 0.9 - i / 10, value=s) for i, s in enumerate([0.1, 0.5, 1.0, 2.0, 4.0])]
    checks.check_sweep(records, [0.1, 0.5, 1.0, 2.0, 4.0])
    with pytest.raises(AssertionError, match="covers noise scales"):
        checks.check_sweep(records[:-1], [0.1, 0.5, 1.0, 2.0, 4.0])
    checks.check_decline([0.98, 0.97, 0.95, 0.88, 0.65])
    with pytest.raises(AssertionError, match="not below"):
        checks.check_decline([0.9, 0.9, 0.9, 0.9, 0.9])
    with pytest.raises(AssertionError, match="rises"):
        checks.check_decline([0.9, 0.5, 0.8, 0.4, 0.3])


def test_confusion_checks():
    y = np.array([0, 1, 1, 2])
    good = np.zeros((3, 3), int)
    good[0, 0], good[1, 1], good[1, 2], good[2, 2] = 1, 1, 1, 1
    checks.check_confusion_matrix(good, y, n_classes=3)
    with pytest.raises(AssertionError, match="rows of the confusion matrix"):
        checks.check_confusion_matrix(good.T, y, n_classes=3)
    with pytest.raises(AssertionError, match="shape"):
        checks.check_confusion_matrix(np.zeros((2, 2)), y, n_classes=3)


def test_check_table_names_the_missing_column_and_counts_rows():
    from prettytable import PrettyTable

    table = PrettyTable(["Noise scale", "val acc (%)"])
    for value in (0.1, 0.5):
        table.add_row([value, "90.00"])
    checks.check_table(table, rows=2, columns=("noise scale", "val acc (%)"))
    with pytest.raises(AssertionError, match="no column 'val loss'"):
        checks.check_table(table, rows=2, columns=("noise scale", "val loss"))
    with pytest.raises(AssertionError, match="has 2 rows, expected 5"):
        checks.check_table(table, rows=5, columns=("noise scale",))


def test_check_weight_spread_wants_one_kernel_spread_per_dense_layer():
    import keras

    def correct(model):
        return [float(layer.kernel.numpy().std()) for layer in model.layers if isinstance(layer, keras.layers.Dense)]

    checks.check_weight_spread(correct)
    with pytest.raises(AssertionError, match="returned 8 values for a model with 2 Dense layers"):
        checks.check_weight_spread(lambda model: [np.std(w) for w in model.get_weights()])
    with pytest.raises(AssertionError, match=r"standard deviations \[0.3, 2.0\]"):
        checks.check_weight_spread(lambda model: [float(np.std(layer.get_weights()[-1])) for layer in model.layers
                                                  if isinstance(layer, keras.layers.Dense)])
