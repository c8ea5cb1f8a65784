import pytest

from helpers import checks
from reference import models
from helpers.model_info import parameter_counts

DEPTH_WIDTHS = {2: (256, 64), 3: (512, 256, 128), 5: (512, 256, 128, 64, 32)}
# hidden layers -> (plain, with BN, non-trainable with BN), from ASSIGNMENT_REFERENCE.md
DEPTH_COUNTS = {2: (218_058, 219_338, 640), 3: (567_434, 571_018, 1_792), 5: (576_810, 580_778, 1_984)}


def test_base_mlp_669706():
    model = models.mlp((512, 512), dropout=0.2)
    assert parameter_counts(model) == {"total": 669_706, "trainable": 669_706, "non_trainable": 0}
    assert checks.structure(model) == ["Dense", "Dropout", "Dense", "Dropout", "Dense"]


@pytest.mark.parametrize("depth", [2, 3, 5])
def test_depth_mlps(depth):
    plain, with_bn, non_trainable = DEPTH_COUNTS[depth]
    widths = DEPTH_WIDTHS[depth]
    assert parameter_counts(models.mlp(widths))["total"] == plain
    for dropout in (0.0, 0.5):
        counts = parameter_counts(models.mlp(widths, batchnorm=True, dropout=dropout))
        assert counts["total"] == with_bn and counts["non_trainable"] == non_trainable


@pytest.mark.parametrize("kwargs, total, non_trainable", [
    ({}, 364_426, 0),
    ({"filters": (32, 64, 128, 256)}, 528_522, 0),
    ({"batchnorm": True}, 366_090, 832),
])
def test_cnns(kwargs, total, non_trainable):
    counts = parameter_counts(models.cnn(**kwargs))
    assert counts["total"] == total and counts["non_trainable"] == non_trainable


def test_batchnorm_sits_between_dense_and_dropout():
    model = models.mlp((256, 64), batchnorm=True, dropout=0.5)
    assert checks.structure(model) == ["Dense", "BatchNorm", "Dropout", "Dense", "BatchNorm", "Dropout", "Dense"]


def test_initializer_is_applied():
    import keras
    import numpy as np
    model = models.mlp((256, 64), initializer=keras.initializers.RandomNormal(0.0, 0.062, seed=1))
    kernel = model.get_layer("dense_1").get_weights()[0]
    assert abs(float(np.std(kernel)) - 0.062) < 0.003
