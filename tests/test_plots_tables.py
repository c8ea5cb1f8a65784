import numpy as np
import pytest

from helpers import plots, tables
from helpers.training import RunRecord


def record(name, val, value=None, epochs=3):
    history = {"accuracy": list(np.linspace(0.5, 0.9, epochs)), "val_accuracy": list(np.linspace(0.4, val, epochs)),
               "loss": list(np.linspace(1.0, 0.2, epochs)), "val_loss": list(np.linspace(1.1, 0.4, epochs))}
    return RunRecord(name=name, history=history, train_accuracy=0.9, val_accuracy=val, train_loss=0.2, val_loss=0.4,
                     epochs=epochs, batch_size=128, train_samples=100, wall_time_s=1.5, budget="smoke", seed=0,
                     params={"total": 1234}, extra={} if value is None else {"value": value})


def test_image_grid_shows_each_image():
    clean = np.random.default_rng(0).random((10, 784))
    fig = plots.image_grid([clean, clean + 1], ["clean", "noisy"], n=5, title="Noise")
    assert len(fig.axes) == 10 and fig._suptitle.get_text() == "Noise"
    assert fig.axes[0].get_ylabel() == "clean" and fig.axes[5].get_ylabel() == "noisy"
    assert np.allclose(fig.axes[5].images[0].get_array(), (clean[0] + 1).reshape(28, 28))


def test_training_curves_plot_train_and_validation():
    fig = plots.training_curves([record("a", 0.8), record("b", 0.7)])
    acc_ax, loss_ax = fig.axes
    assert acc_ax.get_xlabel() == "epoch" and acc_ax.get_ylabel() == "accuracy" and loss_ax.get_ylabel() == "loss"
    assert len(acc_ax.lines) == 4
    assert np.allclose(acc_ax.lines[1].get_ydata(), record("a", 0.8).history["val_accuracy"])
    assert all(float(tick).is_integer() for tick in acc_ax.get_xticks())  # whole epochs only


def test_training_curves_take_what_fit_returns_by_name():
    """``{name: History}`` or ``{name: history.history}``: the curves and labels are the named runs'."""
    class History:  # what keras.callbacks.History holds
        history = record("a", 0.8).history
    fig = plots.training_curves({"clean": History(), "noisy": record("b", 0.7).history})
    acc_ax = fig.axes[0]
    assert [line.get_label() for line in acc_ax.lines] == ["clean train", "clean validation", "noisy train",
                                                          "noisy validation"]
    assert np.allclose(acc_ax.lines[3].get_ydata(), record("b", 0.7).history["val_accuracy"])
    with pytest.raises(TypeError, match="what model.fit returns"):
        plots.training_curves({"clean": 0.98})


def test_metric_vs_value():
    runs = [record(f"s{s}", v) for s, v in [(0.1, 0.9), (1.0, 0.7), (4.0, 0.4)]]
    fig = plots.metric_vs_value([0.1, 1.0, 4.0], [r.history for r in runs])
    ax = fig.axes[0]
    assert ax.get_xlabel() == "noise scale" and ax.get_title()
    assert list(ax.lines[0].get_xdata()) == [0.1, 1.0, 4.0]
    assert list(ax.lines[1].get_ydata()) == [0.9, 0.7, 0.4]
    loss_ax = fig.axes[1]
    assert loss_ax.get_ylabel() == "loss"
    assert list(loss_ax.lines[1].get_ydata()) == [r.history["val_loss"][-1] for r in runs]
    with pytest.raises(ValueError, match="one History per value"):
        plots.metric_vs_value([0.1, 1.0], [r.history for r in runs])


def test_confusion_matrix_and_time_bars():
    counts = np.arange(100).reshape(10, 10)
    fig = plots.confusion_matrix(counts, [str(i) for i in range(10)], title="CM")
    ax = fig.axes[0]
    assert ax.get_title() == "CM" and ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert ax.texts[13].get_text() == "13"
    fig = plots.time_bars({"a": 1.5, "b": 2.25})
    assert [p.get_width() for p in fig.axes[0].patches] == [1.5, 2.25]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b"]


def test_weight_violins_one_per_layer():
    from reference import models
    model = models.mlp((16, 8))
    fig = plots.weight_violins(model)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["hidden 1 (16)", "hidden 2 (8)", "output (10)"]
    assert ax.get_ylabel() == "weight value"
    cnn = plots.weight_violins(models.cnn())  # layers by their role, not Keras' generated names
    assert [t.get_text() for t in cnn.axes[0].get_xticklabels()] == [
        "conv 1 (32)", "conv 2 (64)", "conv 3 (128)", "hidden 1 (128)", "hidden 2 (64)", "output (10)"]


def test_weight_violins_of_a_large_layer_keep_its_spread_and_quartiles():
    import matplotlib.collections
    from reference import models
    model = models.mlp((512,))  # 401,408 weights in the first layer: drawn from a sample
    weights = model.layers[1].get_weights()[0].ravel()
    fig = plots.weight_violins(model)
    body = next(c for c in fig.axes[0].collections if isinstance(c, matplotlib.collections.PolyCollection))
    low, high = body.get_paths()[0].vertices[:, 1].min(), body.get_paths()[0].vertices[:, 1].max()
    assert abs(low - weights.min()) < 0.01 * np.ptp(weights) and abs(high - weights.max()) < 0.01 * np.ptp(weights)
    quartile_lines = sorted(line.get_ydata()[0] for line in fig.axes[0].lines[:3])
    expected = np.percentile(weights, [25, 50, 75])
    assert np.allclose(quartile_lines, expected, atol=0.03 * np.ptp(weights)), (quartile_lines, expected)


def test_image_grid_rejects_mismatched_titles():
    with pytest.raises(ValueError, match="one title per row"):
        plots.image_grid([np.zeros((8, 784))], ["a", "b"])


def test_comparison_table_rows_come_from_records():
    records = [record("mlp_256-64", 0.98), record("mlp_512-256-128_bn", 0.97, value=0.5)]
    table = tables.comparison_table(records, columns=tables.DEFAULT_COLUMNS + (tables.extra_column("scale", "value"),))
    rows = table.rows
    assert [r[0] for r in rows] == ["mlp_256-64", "mlp_512-256-128_bn"]
    assert rows[0][3] == "98.00" and rows[1][-1] == 0.5 and rows[0][-1] == ""


@pytest.mark.parametrize("cell, value, shown", [
    ("91.25", 91.2512, True), ("91.3", 91.25, True), ("91.25", 91.2612, False), ("364,426", 364_426, True),
    ("12.3", 12.34, True), ("12.3", 12.36, False), ("0.2378", 0.23781229555, True), ("0.2378123", 0.23781229555, True),
    ("91.25%", 91.25, True), ("n/a", 1.0, False), ("1e-05", 1.00001e-05, True), ("0.9125", 91.25, False)])
def test_a_cell_shows_a_value_to_the_precision_it_is_printed_with(cell, value, shown):
    assert tables.shows(cell, value) is shown
