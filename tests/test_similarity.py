"""The similarity report finds a renamed, re-commented copy and leaves independent solutions alone."""

from __future__ import annotations

from autograder import course, examples
from autograder.similarity import THRESHOLD, similar_pairs, student_code

A1 = "a1_noise_mlp"

RENAMED = {
    "add_noise": '''
def add_noise(imgs, sigma, mu=0.0, seed=None):
    # my own noise function
    generator = np.random.default_rng(seed)
    eps = generator.normal(mu, sigma, size=imgs.shape)  # one draw per pixel
    return (imgs + eps).astype("float32")
''',
    "build_mlp": '''
def build_mlp():
    # two hidden layers
    return keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(512, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(512, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ], name="net")
''',
    "sweep": '''
SCALES = [0.1, 0.5, 1.0, 2.0, 4.0]
x_train_std, x_test_std = data.standardize(x_train, x_test)
sweep_histories, sweep_models = [], []
for s in SCALES:
    net = build_mlp()
    hist = compile_and_fit(net, add_noise(x_train_std, s, seed=1), y_train,
                           (add_noise(x_test_std, s, seed=2), y_test))
    sweep_histories.append(hist)
    sweep_models.append(net)
''',
}
INDEPENDENT = {
    "add_noise": '''
def add_noise(images, scale, loc=0.0, seed=None):
    images = np.asarray(images, dtype=np.float32)
    noisy = images.copy()
    noisy += np.random.default_rng(seed).standard_normal(images.shape).astype(np.float32) * scale + loc
    return noisy
''',
    "build_mlp": '''
def build_mlp():
    inputs = keras.Input(shape=(784,))
    hidden = inputs
    for _ in range(2):
        hidden = layers.Dropout(0.2)(layers.Dense(512, activation="relu")(hidden))
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden))
''',
    "sweep": '''
SCALES = [0.1, 0.5, 1.0, 2.0, 4.0]
x_train_std, x_test_std = data.standardize(x_train, x_test)
runs = {}
for level in SCALES:
    noisy_train = add_noise(x_train_std, level, seed=1)
    noisy_test = add_noise(x_test_std, level, seed=2)
    runs[level] = (build_mlp(), None)
    runs[level] = (runs[level][0], compile_and_fit(runs[level][0], noisy_train, y_train,
                                                   validation_data=(noisy_test, y_test)))
sweep_models = [model for model, _ in runs.values()]
sweep_histories = [history for _, history in runs.values()]
''',
}


# cleo also writes the training, the trainings and the table her own way (as the correct variant does)
INDEPENDENT.update({cell: source for variant in examples.VARIANTS if variant.name == "a1_other_style"
                    for cell, source in variant.sources if cell in ("compile_and_fit", "train_clean_noisy",
                                                                    "sweep_table")})


def _release():
    (release,) = course.released_notebooks(A1).values()
    return release


def _code(answers: dict[str, str] | None) -> str:
    nb = examples.solved(A1)
    for cell, source in (answers or {}).items():
        examples.mutate(nb, cell, source)
    return student_code(nb, _release())


def test_a_renamed_copy_is_reported_and_independent_work_is_not():
    codes = {("ada", A1): _code(None), ("ben", A1): _code(RENAMED), ("cleo", A1): _code(INDEPENDENT)}
    pairs = similar_pairs(codes)
    assert [p.students for p in pairs] == [("ada", "ben")]
    assert min(pairs[0].shares) >= THRESHOLD and "<mark>" in pairs[0].highlighted[0]


def test_untouched_templates_are_never_similar():
    blank = examples.notebook_path(A1, solution=False).read_text()
    import nbformat

    code = student_code(nbformat.reads(blank, as_version=4), _release())
    assert similar_pairs({("ada", A1): code, ("ben", A1): code}) == []
