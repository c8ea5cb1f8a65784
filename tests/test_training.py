import json

import numpy as np
import pytest

from helpers import data, training
from reference import models
from helpers.budget import get_budget


@pytest.fixture(scope="module")
def tiny_mnist(mirror):
    return data.load("mnist", flatten=True, train_size=600, test_size=200)


def test_fit_records_everything_and_is_json(tiny_mnist, tmp_path):
    model = models.mlp((32,), name="tiny")
    record = training.fit(model, tiny_mnist.train.x, tiny_mnist.train.y,
                          validation_data=(tiny_mnist.test.x, tiny_mnist.test.y), epochs=2, verbose=False)
    assert record.name == "tiny" and record.epochs == 2 and record.budget == "smoke"
    assert len(record.history["accuracy"]) == 2 and len(record.history["val_loss"]) == 2
    assert record.val_accuracy == record.history["val_accuracy"][-1]
    assert record.params["total"] == 784 * 32 + 32 + 330
    assert record.wall_time_s > 0 and record.train_samples == 600
    json.dumps(record.to_dict())
    training.save_records([record], tmp_path / "r.json")
    assert training.load_records(tmp_path / "r.json")[0] == record


def test_budget_decides_epochs(tiny_mnist):
    record = training.fit(models.mlp((16,)), tiny_mnist.train.x, tiny_mnist.train.y,
                          validation_data=(tiny_mnist.test.x, tiny_mnist.test.y), verbose=False)
    assert record.epochs == get_budget("smoke").epochs and record.batch_size == 128


def test_seeded_runs_repeat(tiny_mnist):
    def run():
        training.seed_everything(7)
        model = models.mlp((16,))
        return training.fit(model, tiny_mnist.train.x, tiny_mnist.train.y, epochs=1, seed=7,
                            validation_data=(tiny_mnist.test.x, tiny_mnist.test.y), verbose=False)
    assert run().history == run().history


def test_training_learns(tiny_mnist):
    record = training.fit(models.mlp((64,)), tiny_mnist.train.x, tiny_mnist.train.y, epochs=3,
                          validation_data=(tiny_mnist.test.x, tiny_mnist.test.y), verbose=False)
    assert record.val_accuracy > 0.6


@pytest.mark.parametrize("mistake, message", [
    ("unflattened", "Did you forget to flatten"),
    ("sparse_labels", "must be one-hot"),
    ("unscaled", "scale pixels to"),
])
def test_common_mistakes_get_clear_messages(tiny_mnist, mistake, message):
    x, y = tiny_mnist.train.x, tiny_mnist.train.y
    if mistake == "unflattened":
        x = x.reshape(-1, 28, 28)
    elif mistake == "sparse_labels":
        y = np.argmax(y, axis=1)
    else:
        x = x * 255
    with pytest.raises(ValueError, match=message):
        training.fit(models.mlp((8,)), x, y, validation_data=(tiny_mnist.test.x, tiny_mnist.test.y), verbose=False)


def test_sweep_keeps_order_and_values(tiny_mnist):
    def run_one(width):
        return training.fit(models.mlp((width,)), tiny_mnist.train.x, tiny_mnist.train.y, epochs=1,
                            validation_data=(tiny_mnist.test.x, tiny_mnist.test.y), verbose=False)
    records = training.sweep([4, 8], run_one)
    assert [r.extra["value"] for r in records] == [4, 8]
    assert records[0].params["total"] < records[1].params["total"]


def test_progress_bar_reports_epochs(tiny_mnist, capsys):
    training.fit(models.mlp((8,), name="bar"), tiny_mnist.train.x, tiny_mnist.train.y, epochs=2,
                 validation_data=(tiny_mnist.test.x, tiny_mnist.test.y), verbose=True)
    err = capsys.readouterr().err
    assert "bar" in err and "2/2" in err


def test_batchnorm_is_re_estimated_only_where_its_moving_averages_cannot_have_settled(tiny_mnist):
    assert training.unsettled_batchnorm(models.mlp((8,), batchnorm=True), steps=100)  # 0.99 ** 100 = 0.37
    assert not training.unsettled_batchnorm(models.mlp((8,), batchnorm=True), steps=500)
    assert not training.unsettled_batchnorm(models.mlp((8,), batchnorm=True, batchnorm_momentum=0.9), steps=50)
    assert not training.unsettled_batchnorm(models.mlp((8,)), steps=1)
    split = dict(validation_data=(tiny_mnist.test.x, tiny_mnist.test.y), epochs=2, batch_size=16, verbose=False)  # 76 steps
    slow = training.fit(models.mlp((8,), batchnorm=True), tiny_mnist.train.x, tiny_mnist.train.y, **split)
    quick = training.fit(models.mlp((8,), batchnorm=True, batchnorm_momentum=0.9), tiny_mnist.train.x,
                         tiny_mnist.train.y, **split)
    assert slow.extra.get("batchnorm_recalibrated") and "batchnorm_recalibrated" not in quick.extra
