"""Example submissions: the complete solution, typical mistakes and hostile code.

Used by ``python -m autograder demo`` and by the test suite (each mutation names the tests it
must fail, so every autograder test is shown to reject at least one wrong submission).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import course


@dataclass(frozen=True)
class Mutation:
    """A wrong answer: replace the answer cell ``cell`` of ``assignment`` with ``source``.

    It must fail exactly the tests ``fails`` at grading; the notebook's own test (the ✓ a student sees) must fail
    them too, except the tests in ``visible_misses``: what the notebook cannot check with the student's own data
    and functions, which the test cell says the grader adds (``docs/visible-checks.md``).
    """

    name: str
    assignment: str
    cell: str
    source: str
    fails: tuple[str, ...]
    visible_misses: tuple[str, ...] = ()


ZERO_LR = 'model.compile(optimizer=keras.optimizers.Adam(0.0), loss="categorical_crossentropy", metrics=["accuracy"])'


def _a2_training(*, built: str = "build_mlp(widths, batchnorm=bn, dropout=dropout)", optimizer: str = '"adam"',
                 budget: str = "batch_size=BUDGET.mlp_batch_size, epochs=BUDGET.epochs", kept: str = "model") -> str:
    """Assignment 2's training cell as the master writes it, with one part written another (wrong) way."""
    return f'''
DEPTHS = {{2: (256, 64), 3: (512, 256, 128), 5: (512, 256, 128, 64, 32)}}
VARIANTS = {{"plain": (False, 0.0), "BN": (True, 0.0), "BN + Dropout": (True, 0.5)}}
trained = {{}}
histories = {{}}
for depth, widths in DEPTHS.items():
    for variant, (bn, dropout) in VARIANTS.items():
        name = f"{{depth}} hidden, {{variant}}"
        keras.utils.set_random_seed(0)
        model = {built}
        model.compile(optimizer={optimizer}, loss="categorical_crossentropy", metrics=["accuracy"])
        histories[name] = model.fit(x_train, y_train, {budget}, validation_data=(x_test, y_test), verbose=0)
        trained[name] = {kept}
'''


def _a3_training(*, kept: str = "model") -> str:
    """Assignment 3's training cell as the master writes it, with the model kept written another (wrong) way."""
    return f'''
VARIANTS = {{"base": dict(), "extra block": dict(extra_block=True), "base + BN": dict(batchnorm=True)}}
cnns, histories, fit_seconds = {{}}, {{}}, {{}}
for name, options in VARIANTS.items():
    keras.utils.set_random_seed(0)
    model = build_cnn(**options)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    started = time.perf_counter()
    histories[name] = model.fit(x_train, y_train, batch_size=BUDGET.cnn_batch_size, epochs=BUDGET.cifar_epochs,
                                validation_data=(x_test, y_test), verbose=0)
    fit_seconds[name] = time.perf_counter() - started
    cnns[name] = {kept}
'''


def _a3_build(*, batchnorm: str = "layers.BatchNormalization(momentum=BUDGET.batchnorm_momentum)",
              filters: str = "(32, 64, 128) + ((256,) if extra_block else ())") -> str:
    """Assignment 3's build_cnn as the master writes it, with one part written another (wrong) way."""
    return f'''
def build_cnn(extra_block=False, batchnorm=False):
    model = keras.Sequential([keras.Input(shape=(32, 32, 3))])
    for filters in {filters}:
        model.add(layers.Conv2D(filters, 3, padding="same", activation="relu"))
        if batchnorm:
            model.add({batchnorm})
        model.add(layers.MaxPooling2D(2))
    model.add(layers.Flatten())
    for units in (128, 64):
        model.add(layers.Dense(units, activation="relu"))
        if batchnorm:
            model.add({batchnorm})
    model.add(layers.Dense(10, activation="softmax"))
    return model
'''


def _a3_table(*, rows: str = "VARIANTS", per_epoch: str = "fit_seconds[name] / len(h['loss'])") -> str:
    """Assignment 3's results table, with its rows or its time per epoch written another (wrong) way."""
    return f'''
results_table = PrettyTable(["model", "parameters", "train acc (%)", "val acc (%)", "s per epoch"])
for name in {rows}:
    h = histories[name].history
    results_table.add_row([name, cnns[name].count_params(), f"{{100 * h['accuracy'][-1]:.2f}}",
                           f"{{100 * h['val_accuracy'][-1]:.2f}}", f"{{{per_epoch}:.1f}}"])
print(results_table)
'''


MUTATIONS = (
    Mutation("shared_noise_vector", "a1_noise_mlp", "add_noise", '''
def add_noise(images, scale, loc=0.0, seed=None):
    rng = np.random.default_rng(seed)
    return (images + rng.normal(loc, scale, size=images[1].shape)).astype("float32")
''', ("test_add_noise",)),
    Mutation("noise_in_place", "a1_noise_mlp", "add_noise", '''
def add_noise(images, scale, loc=0.0, seed=None):
    images += np.random.default_rng(seed).normal(loc, scale, size=images.shape).astype(images.dtype)
    return images
''', ("test_add_noise",)),
    Mutation("noise_on_train_only", "a1_noise_mlp", "apply_noise", '''
NOISE_SCALE = 0.5
x_train_noisy = np.clip(add_noise(x_train, NOISE_SCALE, seed=1), 0.0, 1.0)
x_test_noisy = x_test.copy()
''', ("test_apply_noise",)),
    Mutation("wrong_width", "a1_noise_mlp", "build_mlp", '''
def build_mlp():
    return keras.Sequential([keras.Input(shape=(784,)), layers.Dense(256, activation="relu"), layers.Dropout(0.2),
                             layers.Dense(512, activation="relu"), layers.Dropout(0.2),
                             layers.Dense(10, activation="softmax")])
''', ("test_build_mlp",)),
    Mutation("ignores_budget_epochs", "a1_noise_mlp", "compile_and_fit", '''
def compile_and_fit(model, x, y, validation_data):
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, batch_size=BUDGET.mlp_batch_size, epochs=20, validation_data=validation_data, verbose=0)
''', ("test_compile_and_fit",)),
    Mutation("sgd_optimizer", "a1_noise_mlp", "compile_and_fit", '''
def compile_and_fit(model, x, y, validation_data):
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, batch_size=BUDGET.mlp_batch_size, epochs=BUDGET.epochs, validation_data=validation_data,
                     verbose=0)
''', ("test_compile_and_fit",)),
    Mutation("validates_on_training_data", "a1_noise_mlp", "compile_and_fit", '''
def compile_and_fit(model, x, y, validation_data):
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, batch_size=BUDGET.mlp_batch_size, epochs=BUDGET.epochs, validation_data=(x, y), verbose=0)
''', ("test_compile_and_fit",)),
    Mutation("swapped_histories", "a1_noise_mlp", "train_clean_noisy", '''
keras.utils.set_random_seed(0)
mlp_clean = build_mlp()
history_noisy = compile_and_fit(mlp_clean, x_train, y_train, (x_test, y_test))
mlp_noisy = build_mlp()
history_clean = compile_and_fit(mlp_noisy, x_train_noisy, y_train, (x_test_noisy, y_test))
''', ("test_clean_vs_noisy",)),
    Mutation("typed_in_accuracy", "a1_noise_mlp", "sweep", '''
SCALES = [0.1, 0.5, 1.0, 2.0, 4.0]
x_train_std, x_test_std = data.standardize(x_train, x_test)
sweep_histories, sweep_models = [], []
for scale, accuracy in zip(SCALES, [0.98, 0.97, 0.95, 0.89, 0.65]):
    sweep_histories.append({"loss": [0.1] * BUDGET.epochs, "accuracy": [0.99] * BUDGET.epochs,
                            "val_loss": [0.2] * BUDGET.epochs, "val_accuracy": [accuracy] * BUDGET.epochs})
    sweep_models.append(build_mlp())
''', ("test_sweep",)),
    Mutation("one_model_for_every_scale", "a1_noise_mlp", "sweep", '''
SCALES = [0.1, 0.5, 1.0, 2.0, 4.0]
x_train_std, x_test_std = data.standardize(x_train, x_test)
sweep_histories, sweep_models = [], []
model = build_mlp()
for scale in SCALES:
    history = compile_and_fit(model, add_noise(x_train_std, scale, seed=1), y_train,
                              (add_noise(x_test_std, scale, seed=2), y_test))
    sweep_histories.append(history)
    sweep_models.append(model)
''', ("test_sweep",)),
    Mutation("sweep_missing_scale", "a1_noise_mlp", "sweep", '''
SCALES = [0.1, 0.5, 1.0, 2.0, 4.0]
x_train_std, x_test_std = data.standardize(x_train, x_test)
sweep_histories, sweep_models = [], []
for scale in SCALES[:-1]:
    model = build_mlp()
    sweep_histories.append(compile_and_fit(model, add_noise(x_train_std, scale, seed=1), y_train,
                                           (add_noise(x_test_std, scale, seed=2), y_test)))
    sweep_models.append(model)
''', ("test_sweep",)),
    Mutation("sweep_table_of_two_runs", "a1_noise_mlp", "sweep_table", '''
sweep_table = PrettyTable(["noise scale", "train acc (%)", "val acc (%)", "val loss"])
for scale, history in ((0.0, history_clean), (0.5, history_noisy)):
    h = history.history
    sweep_table.add_row([scale, f"{100 * h['accuracy'][-1]:.2f}", f"{100 * h['val_accuracy'][-1]:.2f}",
                         f"{h['val_loss'][-1]:.4f}"])
print(sweep_table)
''', ("test_sweep_table",)),
    Mutation("table_in_fractions", "a1_noise_mlp", "sweep_table", '''
sweep_table = PrettyTable(["noise scale", "train acc (%)", "val acc (%)", "val loss"])
for scale, history in zip(SCALES, sweep_histories):
    h = history.history
    sweep_table.add_row([scale, round(h["accuracy"][-1], 4), round(h["val_accuracy"][-1], 4), round(h["val_loss"][-1], 4)])
print(sweep_table)
''', ("test_sweep_table",)),
    Mutation("batchnorm_after_dropout", "a2_depth_bn_dropout", "build_mlp", '''
def build_mlp(widths, batchnorm=False, dropout=0.0):
    model = keras.Sequential([keras.Input(shape=(784,))])
    for width in widths:
        model.add(layers.Dense(width, activation="relu"))
        if dropout > 0:
            model.add(layers.Dropout(dropout))
        if batchnorm:
            model.add(layers.BatchNormalization(momentum=BUDGET.batchnorm_momentum))
    model.add(layers.Dense(10, activation="softmax"))
    return model
''', ("test_build_mlp",)),
    Mutation("batchnorm_default_momentum", "a2_depth_bn_dropout", "build_mlp", '''
def build_mlp(widths, batchnorm=False, dropout=0.0):
    model = keras.Sequential([keras.Input(shape=(784,))])
    for width in widths:
        model.add(layers.Dense(width, kernel_initializer="he_normal"))
        if batchnorm:
            model.add(layers.BatchNormalization())
        model.add(layers.Activation("relu"))
        if dropout > 0:
            model.add(layers.Dropout(dropout))
    model.add(layers.Dense(10, activation="softmax"))
    return model
''', ("test_build_mlp",)),
    Mutation("build_mlp_raises", "a2_depth_bn_dropout", "build_mlp", '''
def build_mlp(widths, batchnorm=False, dropout=0.0):
    raise NotImplementedError("I ran out of time")
''', ("test_build_mlp",)),  # test_trained and test_results are judged with the reference build_mlp: charged once
    Mutation("table_widths_of_the_wrong_key", "a2_depth_bn_dropout", "table", '''
results_table = PrettyTable(["model", "hidden layers", "widths", "variant", "parameters", "train acc (%)", "val acc (%)"])
for name, history in histories.items():
    depth = int(name.split()[0])
    h = history.history
    results_table.add_row([name, depth, depth, name.split(", ")[1], trained[name].count_params(),
                           f"{100 * h['accuracy'][-1]:.2f}", f"{100 * h['val_accuracy'][-1]:.2f}"])
print(results_table)
''', ("test_results",)),
    Mutation("table_typed_by_hand", "a2_depth_bn_dropout", "table", '''
results_table = PrettyTable(["model", "hidden layers", "widths", "variant", "parameters", "train acc (%)", "val acc (%)"])
for name in list(histories)[:3]:
    results_table.add_row([name, 2, "256-64", "plain", 218058, 99.0, 97.5])
print(results_table)
''', ("test_results",)),
    Mutation("table_validation_column_from_training", "a2_depth_bn_dropout", "table", '''
results_table = PrettyTable(["model", "hidden layers", "widths", "variant", "parameters", "train acc (%)", "val acc (%)"])
for depth, widths in DEPTHS.items():
    for variant in VARIANTS:
        name = f"{depth} hidden, {variant}"
        acc = histories[name].history["accuracy"][-1]
        results_table.add_row([name, depth, "-".join(map(str, widths)), variant, trained[name].count_params(),
                               f"{100 * acc:.2f}", f"{100 * acc:.2f}"])
print(results_table)
''', ("test_results",)),
    Mutation("table_counts_trainable_only", "a2_depth_bn_dropout", "table", '''
results_table = PrettyTable(["model", "hidden layers", "widths", "variant", "parameters", "train acc (%)", "val acc (%)"])
for depth, widths in DEPTHS.items():
    for variant in VARIANTS:
        name = f"{depth} hidden, {variant}"
        size = sum(int(np.prod(w.shape)) for w in trained[name].trainable_weights)
        h = histories[name].history
        results_table.add_row([name, depth, "-".join(map(str, widths)), variant, size,
                               f"{100 * h['accuracy'][-1]:.2f}", f"{100 * h['val_accuracy'][-1]:.2f}"])
print(results_table)
''', ("test_results",)),
    Mutation("keeps_a_fresh_model", "a2_depth_bn_dropout", "train_all",
             _a2_training(kept="build_mlp(widths, batchnorm=bn, dropout=dropout)"), ("test_trained",)),
    Mutation("dropout_forgotten_in_loop", "a2_depth_bn_dropout", "train_all",
             _a2_training(built="build_mlp(widths, batchnorm=bn)"), ("test_trained",)),
    Mutation("twenty_epochs_written_by_hand", "a2_depth_bn_dropout", "train_all",
             _a2_training(budget="batch_size=128, epochs=20"), ("test_trained",)),
    Mutation("sgd_instead_of_adam", "a2_depth_bn_dropout", "train_all", _a2_training(optimizer='"sgd"'),
             ("test_trained",)),
    Mutation("spread_of_every_array", "a2_depth_bn_dropout", "weight_spread", '''
def weight_spread(model):
    return [float(np.std(w)) for w in model.get_weights()]
''', ("test_weight_spread",)),
    Mutation("missing_extra_block", "a3_cifar_cnn", "build_cnn", _a3_build(filters="(32, 64, 128)"),
             ("test_build_cnn",)),
    Mutation("cnn_batchnorm_default_momentum", "a3_cifar_cnn", "build_cnn",
             _a3_build(batchnorm="layers.BatchNormalization()"), ("test_build_cnn",)),
    Mutation("keeps_an_untrained_cnn", "a3_cifar_cnn", "train_all", _a3_training(kept="build_cnn(**options)"),
             ("test_trained",)),
    Mutation("table_of_two_models", "a3_cifar_cnn", "results_table", _a3_table(rows='["base", "extra block"]'),
             ("test_results_table",)),
    Mutation("time_per_epoch_is_the_total", "a3_cifar_cnn", "results_table", _a3_table(per_epoch="fit_seconds[name]"),
             ("test_results_table",)),
    Mutation("confusion_transposed", "a3_cifar_cnn", "confusion", '''
def confusion_matrix(model, x, y):
    predicted = np.argmax(model.predict(x, verbose=0), axis=1)
    counts = np.zeros((10, 10), dtype=int)
    np.add.at(counts, (predicted, np.argmax(y, axis=1)), 1)
    return counts
''', ("test_confusion",)),
)

@dataclass(frozen=True)
class Variant:
    """A correct answer written unlike the master: answer cells replaced by ``sources``; it must pass ``passes``."""

    name: str
    assignment: str
    sources: tuple[tuple[str, str], ...]
    passes: tuple[str, ...]

    def notebook(self) -> nbformat.NotebookNode:
        nb = solved(self.assignment)
        for cell, source in self.sources:
            mutate(nb, cell, source)
        return nb


VARIANTS = (
    Variant("a1_other_style", "a1_noise_mlp", (
        ("add_noise", """
def add_noise(images, scale, loc=0.0, seed=None):
    generator = np.random.default_rng(seed)
    draws = generator.standard_normal(np.shape(images)).astype(np.float32)
    return np.asarray(images, dtype=np.float32) + (draws * scale + loc)
"""),
        ("apply_noise", """
NOISE_SCALE = 0.5
x_train_noisy, x_test_noisy = (add_noise(x, NOISE_SCALE, seed=s).clip(0, 1) for x, s in ((x_train, 10), (x_test, 20)))
"""),
        ("build_mlp", """
def build_mlp():
    inputs = keras.Input(shape=(784,))
    hidden = layers.Dropout(0.2)(layers.Activation("relu")(layers.Dense(512)(inputs)))
    hidden = layers.Dropout(0.2)(layers.Dense(512, activation="relu")(hidden))
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden))
"""),
        ("compile_and_fit", """
def compile_and_fit(model, x, y, validation_data):
    model.compile(keras.optimizers.Adam(learning_rate=1e-3), keras.losses.CategoricalCrossentropy(),
                  metrics=["accuracy"])
    return model.fit(x=x, y=y, epochs=BUDGET.epochs, batch_size=BUDGET.mlp_batch_size, verbose=0,
                     validation_data=validation_data).history
"""),
        ("train_clean_noisy", """
keras.utils.set_random_seed(0)
runs = {}
for label, images, test_images in (("clean", x_train, x_test), ("noisy", x_train_noisy, x_test_noisy)):
    runs[label] = build_mlp()
    runs[label + " history"] = compile_and_fit(runs[label], images, y_train, validation_data=(test_images, y_test))
mlp_clean, mlp_noisy = runs["clean"], runs["noisy"]
history_clean, history_noisy = runs["clean history"], runs["noisy history"]
"""),
        ("sweep", """
SCALES = [0.1, 0.5, 1.0, 2.0, 4.0]
x_train_std, x_test_std = data.standardize(x_train, x_test)
sweep_histories, sweep_models = [], []
index = 0
while index < len(SCALES):
    scale = SCALES[index]
    sweep_models.append(build_mlp())
    sweep_histories.append(compile_and_fit(sweep_models[-1], add_noise(x_train_std, scale, seed=100 + index), y_train,
                                           (add_noise(x_test_std, scale, seed=200 + index), y_test)))
    index += 1
"""),
        ("sweep_table", """
sweep_table = PrettyTable()
sweep_table.field_names = ["Noise scale", "Train acc (%)", "Val acc (%)", "Val loss"]
for scale, history in zip(SCALES, sweep_histories):
    sweep_table.add_row([scale, round(100 * history["accuracy"][-1], 2), f"{100 * history['val_accuracy'][-1]:.3f}",
                         round(history["val_loss"][-1], 4)])
"""),
    ), ("test_add_noise", "test_apply_noise", "test_build_mlp", "test_compile_and_fit", "test_clean_vs_noisy",
        "test_sweep", "test_sweep_table")),
    Variant("a2_other_style", "a2_depth_bn_dropout", (
        ("build_mlp", """
def build_mlp(widths, batchnorm=False, dropout=0.0):
    stack = [keras.Input(shape=(784,))]
    for width in widths:
        stack.append(layers.Dense(width, activation="relu", kernel_initializer="he_normal"))
        stack += [layers.BatchNormalization(momentum=BUDGET.batchnorm_momentum)] if batchnorm else []  # after ReLU
        stack += [layers.Dropout(dropout)] if dropout else []
    return keras.Sequential(stack + [layers.Dense(10, activation="softmax")])
"""),
        ("train_all", """
import itertools
DEPTHS = {2: (256, 64), 3: (512, 256, 128), 5: (512, 256, 128, 64, 32)}
VARIANTS = {"plain": (False, 0.0), "BN": (True, 0.0), "BN + Dropout": (True, 0.5)}
trained, histories = {}, {}
for (depth, widths), (variant, options) in itertools.product(DEPTHS.items(), VARIANTS.items()):
    label = f"{depth} hidden, {variant}"
    keras.utils.set_random_seed(0)
    net = trained[label] = build_mlp(list(widths), *options)
    net.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss=keras.losses.CategoricalCrossentropy(),
                metrics=["accuracy"])
    histories[label] = net.fit(x_train, y_train, epochs=BUDGET.epochs, batch_size=BUDGET.mlp_batch_size,
                               validation_data=(x_test, y_test), verbose=0)
"""),
        ("table", """
results_table = PrettyTable()
results_table.field_names = ["Model", "Hidden layers", "Variant", "Widths", "Parameters", "Train acc (%)",
                             "Val acc (%)"]
ranked = sorted(histories, key=lambda label: histories[label].history["val_accuracy"][-1])
for label in ranked:
    depth, variant = int(label.split()[0]), label.split(", ")[1]
    acc, val_acc = (histories[label].history[k][-1] for k in ("accuracy", "val_accuracy"))
    results_table.add_row([label, depth, variant, " / ".join(str(w) for w in DEPTHS[depth]),
                           trained[label].count_params(), round(100 * acc, 3), f"{val_acc:.2%}"])
"""),
        ("weight_spread", """
def weight_spread(model):
    spreads = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            spreads.append(layer.kernel.numpy().std())
    return np.array(spreads)
"""),
    ), ("test_build_mlp", "test_trained", "test_results", "test_weight_spread")),
    Variant("a3_other_style", "a3_cifar_cnn", (
        ("build_cnn", """
BN_MOMENTUM = BUDGET.batchnorm_momentum

def build_cnn(extra_block=False, batchnorm=False):
    x = inputs = keras.Input(shape=(32, 32, 3))
    for filters in [32, 64, 128, 256][: 4 if extra_block else 3]:
        x = layers.Conv2D(filters, (3, 3), padding="same", activation="relu")(x)
        if batchnorm:
            x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    for units in (128, 64):
        x = layers.Dense(units, activation="relu")(x)
        if batchnorm:
            x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))
"""),
        ("train_all", """
from time import perf_counter
VARIANTS = {"base": dict(), "extra block": dict(extra_block=True), "base + BN": dict(batchnorm=True)}
cnns, histories, fit_seconds = {}, {}, {}
for name in VARIANTS:
    keras.utils.set_random_seed(0)
    cnn = build_cnn(**VARIANTS[name])
    cnn.compile(loss=keras.losses.CategoricalCrossentropy(), optimizer=keras.optimizers.Adam(),
                metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")])
    began = perf_counter()
    run = cnn.fit(x=x_train, y=y_train, validation_data=(x_test, y_test), epochs=BUDGET.cifar_epochs,
                  batch_size=BUDGET.cnn_batch_size, shuffle=True, verbose=0)
    cnns[name], histories[name], fit_seconds[name] = cnn, run, perf_counter() - began
"""),
        ("results_table", """
results_table = PrettyTable()
results_table.field_names = ["Model", "Parameters", "Train acc (%)", "Val acc (%)", "s per epoch"]
for name, run in sorted(histories.items(), key=lambda item: -item[1].history["val_accuracy"][-1]):
    results_table.add_row([name, cnns[name].count_params(), round(100 * run.history["accuracy"][-1], 3),
                           f"{run.history['val_accuracy'][-1]:.2%}", round(fit_seconds[name] / BUDGET.cifar_epochs, 2)])
print(results_table)
"""),
        ("confusion", """
def confusion_matrix(model, x, y):
    predicted = model.predict(x, verbose=0).argmax(axis=-1)
    counts = [[0] * 10 for _ in range(10)]
    for true_class, guess in zip(y.argmax(axis=-1), predicted):
        counts[int(true_class)][int(guess)] += 1
    return np.array(counts)
"""),
    ), ("test_build_cnn", "test_trained", "test_results_table", "test_confusion")),
)

# Code that attacks the grader; each is appended to the add_noise answer of a complete solution.
HOSTILE = {
    "patches_checks": "checks.check_noise_function = lambda *args, **kwargs: None",
    "reads_solutions": "print(open('{repo}/solutions/a1_noise_mlp/noise_mlp.ipynb').read()[:100])",
    "writes_outside": "open('{repo}/helpers/owned.txt', 'w').write('owned')",
    "opens_socket": "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=2)",
    "loops_forever": "while True:\n    pass",
    "ignores_interrupt": "import time\nwhile True:\n    try:\n        time.sleep(0.5)\n    except KeyboardInterrupt:\n"
                         "        pass",
    "eats_memory": "hog = np.ones(64 * 2**30, dtype=np.uint8)",
    # processes without end, each a long sleeper in a session of its own (out of reach of the kernel's process
    # group): only the sandbox can end them, and a test looks for any that outlive the kernel
    "starts_processes": "import os\nwhile True:\n    os.posix_spawn('/bin/sleep', ['sleep', '3599'], {{}}, setsid=True)",
    "kills_kernel": "import os\nos.kill(os.getpid(), 9)",
    "prints_megabytes": "print('x' * 20_000_000)",
    # each kind of output far over its limit: a 40 MB image, a huge JSON, display metadata, many images under the
    # limit of one output that together pass the notebook's, and a 30 MB exception message
    "outputs_of_every_kind": "import os\nfrom IPython.display import JSON, Image, display\n"
                             "png = lambda size: Image(data=b'\\x89PNG\\r\\n\\x1a\\n' + os.urandom(size), format='png')\n"
                             "display(png(30_000_000))\ndisplay(JSON({{'rows': ['x' * 100] * 300_000}}))\n"
                             "display({{'text/plain': 'meta'}}, metadata={{'note': 'm' * 30_000_000}}, raw=True)\n"
                             "for _ in range(30):\n    display(png(1_400_000))\nraise ValueError('x' * 30_000_000)",
    # a flood of small outputs: after the interrupt at the time limit, more are still waiting than can be read
    "floods_output": "from IPython.display import display\nfor i in range(10**8):\n    display(i)",
    "fills_disk": "chunk = b'x' * 2**26\nfor i in range(1000):\n    open(f'fill{{i}}.bin', 'wb').write(chunk)",
    # six busy processes for 40 s, most of the time a neighbour's notebook takes to grade at ``smoke``
    "burns_cpu": "import os, time\nfor _ in range(6):\n    if os.fork() == 0:\n        end = time.monotonic() + 40\n"
                 "        while time.monotonic() < end:\n            pass\n        os._exit(0)",
}


def notebook_path(assignment: str, solution: bool = True) -> Path:
    folder = (course.SOLUTIONS if solution else course.RELEASES) / assignment
    return next(folder.glob("*.ipynb"))


def solved(assignment: str) -> nbformat.NotebookNode:
    """The master notebook as a student would hand it in: solutions filled in, no hidden tests."""
    nb = nbformat.read(notebook_path(assignment), as_version=4)
    for cell in nb.cells:
        cell.source = course.without_hidden_tests(cell.source)
    return nb


def released(assignment: str) -> nbformat.NotebookNode:
    """The student version as handed out: nothing answered."""
    return nbformat.read(notebook_path(assignment, solution=False), as_version=4)


def mutate(nb: nbformat.NotebookNode, cell_id: str, source: str) -> nbformat.NotebookNode:
    """Replace the source of the answer cell ``cell_id``."""
    cell = next((c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == cell_id), None)
    if cell is None:
        raise KeyError(f"no cell {cell_id!r}")
    cell.source = source.strip("\n")
    return nb


def write_submission(root: Path, student: str, assignment: str, nb: nbformat.NotebookNode | str | bytes) -> Path:
    """Store ``nb`` (a notebook, or raw text/bytes for broken files) as the student's submission."""
    path = root / student / assignment / notebook_path(assignment).name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, bytes):
        path.write_bytes(nb)
    elif isinstance(nb, str):
        path.write_text(nb)
    else:
        nbformat.write(nb, path)
    return path


def add_code(nb: nbformat.NotebookNode, after_cell: str, source: str) -> nbformat.NotebookNode:
    """Append ``source`` to the answer cell ``after_cell``."""
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == after_cell)
    cell.source += "\n" + source
    return nb
