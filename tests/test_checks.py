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


def test_decline_check():
    checks.check_decline([0.98, 0.97, 0.95, 0.88, 0.65])
    with pytest.raises(AssertionError, match="not below"):
        checks.check_decline([0.9, 0.9, 0.9, 0.9, 0.9])
    with pytest.raises(AssertionError, match="rises"):
        checks.check_decline([0.9, 0.5, 0.8, 0.4, 0.3])


def _compile_and_fit(optimizer="adam", loss="categorical_crossentropy", metrics=("accuracy",), epochs=3,
                     batch_size=128, validate_on_training=False, keep=lambda history: history):
    def compile_and_fit(model, x, y, validation_data):
        model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
        return keep(model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0,
                              validation_data=(x, y) if validate_on_training else validation_data))
    return compile_and_fit


@pytest.mark.parametrize("wrong, message", [
    (dict(optimizer="sgd"), "compiled with SGD"),
    (dict(loss="mean_squared_error"), "the loss is"),
    (dict(metrics=()), "metrics"),
    (dict(epochs=5), "asked for 5 epochs and trained 5"),
    (dict(batch_size=32), "optimizer took 30 steps, expected 9"),
    (dict(validate_on_training=True), "not the model's loss on validation_data"),
    (dict(keep=lambda history: None), "returned None"),
])
def test_compile_and_fit_check_names_what_is_wrong(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_compile_and_fit(_compile_and_fit(**wrong), epochs=3, batch_size=128)


def test_compile_and_fit_check_accepts_other_spellings():
    import keras
    checks.check_compile_and_fit(_compile_and_fit(), epochs=3, batch_size=128)
    checks.check_compile_and_fit(_compile_and_fit(optimizer=keras.optimizers.Adam(1e-3),
                                                  loss=keras.losses.CategoricalCrossentropy(),
                                                  keep=lambda history: history.history), epochs=3, batch_size=128)


def test_table_matches_check_compares_every_column_with_the_histories():
    from prettytable import PrettyTable
    runs = {0.1: {"accuracy": [0.5, 0.95], "val_accuracy": [0.4, 0.9], "loss": [1, 0.2], "val_loss": [1, 0.31234]},
            4.0: {"accuracy": [0.5, 0.8], "val_accuracy": [0.3, 0.45], "loss": [1, 0.6], "val_loss": [1, 1.7]}}
    columns = {"train acc (%)": "accuracy", "val acc (%)": "val_accuracy", "val loss": "val_loss"}

    def table(rows):
        made = PrettyTable(["Noise scale", "train acc (%)", "val acc (%)", "val loss"])
        for row in rows:
            made.add_row(row)
        return made
    checks.check_table_matches(table([[0.1, "95.00", "90.00", "0.3123"], [4.0, 80.0, "45.000", 1.7]]),
                               "noise scale", runs, columns)
    for rows, message in (([[0.1, "0.95", "0.90", "0.3123"], [4.0, 0.8, 0.45, 1.7]], "train acc"),
                          ([[0.1, "95.00", "90.00", "0.3123"]], "one row per noise scale"),
                          ([[0.1, "95.00", "90.00", "0.3123"], [2.0, 80.0, 45.0, 1.7]], "not one of"),
                          ([[0.1, "95.00", "90.00", "0.9999"], [4.0, 80.0, 45.0, 1.7]], "val loss")):
        with pytest.raises(AssertionError, match=message):
            checks.check_table_matches(table(rows), "noise scale", runs, columns)


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


def test_structure_messages_name_the_model_and_speak_of_convolution_blocks():
    from reference import models
    with pytest.raises(AssertionError, match=r"build_mlp\(\(256, 64\), batchnorm=True, dropout=0.5\) has layers"):
        checks.check_structure(models.mlp((256, 64)), ["Dense", "BatchNorm", "Dropout"] * 2 + ["Dense"],
                               what="build_mlp((256, 64), batchnorm=True, dropout=0.5)")
    with pytest.raises(AssertionError, match="build_cnn\\(extra_block=True.* has 3 convolution blocks, expected 4"):
        checks.check_structure(models.cnn(), ["Conv2D", "MaxPool"] * 4 + ["Flatten", "Dense", "Dense", "Dense"],
                               what="build_cnn(extra_block=True, batchnorm=False)")
    with pytest.raises(AssertionError, match="build_cnn\\(\\) has 364,426 parameters"):
        checks.check_parameter_counts(models.cnn(), total=1, what="build_cnn()")


def test_table_rows_check_compares_text_numbers_and_lists_of_widths():
    from prettytable import PrettyTable
    expected = {"2 hidden, BN": {"hidden layers": 2, "widths": "256-64", "variant": "BN", "val acc (%)": 91.25}}

    def table(row):
        made = PrettyTable(["model", "hidden layers", "widths", "variant", "val acc (%)"])
        made.add_row(row)
        return made
    checks.check_table_rows(table(["2 hidden, BN", "2", "(256, 64)", "bn", "91.25"]), "model", expected)
    for row, message in ((["2 hidden, BN", 2, "2", "BN", 91.25], "widths shows '2'"),
                         (["2 hidden, BN", 3, "256-64", "BN", 91.25], "hidden layers shows 3"),
                         (["2 hidden, BN", 2, "256-64", "plain", 91.25], "variant shows 'plain'"),
                         (["2 hidden, BN", 2, "256-64", "BN", 0.9125], "val acc")):
        with pytest.raises(AssertionError, match=message):
            checks.check_table_rows(table(row), "model", expected)


def test_batchnorm_momentum_check_wants_the_budgets():
    slow = models.mlp((8,), batchnorm=True)
    settled = models.mlp((8,), batchnorm=True, batchnorm_momentum=0.9)
    checks.check_batchnorm_momentum(settled, 0.9, what="build_mlp([8], batchnorm=True)")
    checks.check_batchnorm_momentum(models.mlp((8,)), 0.9)  # no BatchNormalization: nothing to check
    with pytest.raises(AssertionError, match=r"build_mlp\(\[8\]\).*momentum 0.99; this budget's is 0.9.*"
                                             r"BUDGET.batchnorm_momentum"):
        checks.check_batchnorm_momentum(slow, 0.9, what="build_mlp([8])")
