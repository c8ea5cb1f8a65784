"""The compiled-epoch training path behaves like ``model.fit``."""

import keras
import numpy as np
import pytest

from helpers import data, epoch_loop, training
from reference import models


@pytest.fixture(scope="module")
def tiny_mnist(mirror):
    return data.load("mnist", flatten=True, train_size=700, test_size=300)


def _fit(model, ds, **options):
    return training.fit(model, ds.train.x, ds.train.y, validation_data=(ds.test.x, ds.test.y),
                        verbose=False, **options)


def test_history_has_the_keys_and_length_of_keras_fit(tiny_mnist):
    fast = _fit(models.mlp((32,)), tiny_mnist, epochs=3)
    slow = _fit(models.mlp((32,)), tiny_mnist, epochs=3, fast=False)
    assert fast.extra["training_path"] == "compiled epochs" and slow.extra["training_path"] == "keras fit"
    assert set(fast.history) == set(slow.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 3 for values in fast.history.values())


def test_validation_metrics_match_keras_evaluate(tiny_mnist):
    model = models.mlp((32,))
    record = _fit(model, tiny_mnist, epochs=2)
    loss, accuracy = model.evaluate(tiny_mnist.test.x, tiny_mnist.test.y, verbose=0)
    assert record.val_accuracy == pytest.approx(accuracy, abs=1e-6)
    assert record.val_loss == pytest.approx(loss, rel=1e-4)


def test_learns_as_well_as_keras_fit(tiny_mnist):
    fast = _fit(models.mlp((64,)), tiny_mnist, epochs=4)
    slow = _fit(models.mlp((64,)), tiny_mnist, epochs=4, fast=False)
    assert fast.val_accuracy > 0.75 and abs(fast.val_accuracy - slow.val_accuracy) < 0.06


def test_every_batch_is_trained_including_the_last_smaller_one(tiny_mnist):
    model = models.mlp((16,))
    training.compile_for_classification(model)
    epoch_loop.run_epochs(model, tiny_mnist.train.x, tiny_mnist.train.y, epochs=2, batch_size=128,
                          validation_data=(tiny_mnist.test.x, tiny_mnist.test.y), jit_compile=False)
    assert int(model.optimizer.iterations.numpy()) == 2 * -(-700 // 128)


def test_model_keeps_its_own_compile_settings(tiny_mnist):
    model = models.mlp((32,))
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="categorical_crossentropy", metrics=["accuracy"])
    before = [w.copy() for w in model.get_weights()]
    _fit(model, tiny_mnist, epochs=1)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights())), "learning rate 0 must not train"


def test_seeded_runs_repeat_and_seeds_differ(tiny_mnist):
    def run(seed):
        training.seed_everything(seed)  # the initial weights
        return _fit(models.mlp((16,)), tiny_mnist, epochs=2, seed=seed).history
    assert run(3) == run(3)
    assert run(3) != run(4)


def test_epoch_callbacks_run_and_early_stopping_stops(tiny_mnist):
    ends = []
    logger = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: ends.append(sorted(logs)))
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=0, min_delta=10.0)
    record = _fit(models.mlp((16,)), tiny_mnist, epochs=5, callbacks=[logger, stop])
    assert ends[0] == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(ends) == 2 and len(record.history["loss"]) == 2  # no improvement by 10 after epoch 1 -> stop


def test_callbacks_with_batch_hooks_use_keras_fit(tiny_mnist):
    batches = []
    per_batch = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(batch))
    assert epoch_loop.unsupported_reason(models.mlp((16,)), [per_batch]) is not None
    record = _fit(models.mlp((16,)), tiny_mnist, epochs=1, callbacks=[per_batch])
    assert record.extra["training_path"] == "keras fit" and len(batches) == -(-700 // 128)


def test_xla_step_trains_like_the_plain_graph(tiny_mnist):
    def run(jit_compile):
        training.seed_everything(0)
        model = models.mlp((64,))
        training.compile_for_classification(model)
        return epoch_loop.run_epochs(model, tiny_mnist.train.x, tiny_mnist.train.y, epochs=4, batch_size=128, seed=0,
                                     validation_data=(tiny_mnist.test.x, tiny_mnist.test.y), jit_compile=jit_compile)
    with_xla, without = run(True), run(False)
    assert with_xla["val_accuracy"][-1] > 0.7
    assert with_xla["val_accuracy"][-1] == pytest.approx(without["val_accuracy"][-1], abs=0.02)


def test_fused_adam_updates_exactly_like_keras_adam():
    import tensorflow as tf

    from helpers.optimizers import FusedAdam

    rng = np.random.default_rng(0)
    start = rng.normal(size=(7, 5)).astype("float32")
    results = []
    for optimizer in (keras.optimizers.Adam(0.01), FusedAdam(0.01)):
        weights = keras.Variable(start)
        for step in range(5):
            optimizer.apply([tf.constant(rng.normal(size=(7, 5)).astype("float32") + step)], [weights])
        results.append(weights.numpy())
        rng = np.random.default_rng(0)
        rng.normal(size=(7, 5))
    assert not np.allclose(results[1], start), "the fused update must change the weights"
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-6)
