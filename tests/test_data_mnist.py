"""The MNIST loader: where it looks, in which order, what it returns, and its errors.

Everything is built in tmp_path; Keras' download is always patched, so no test touches the
network or a user's own copy of MNIST.
"""

import gzip
import warnings

import numpy as np
import pytest

from companion.data import mnist
from companion.data.mnist import (
    IDX_FILES,
    SAMPLE_PATH,
    SampleFallbackWarning,
    load_mnist,
    read_mnist,
)
from companion.errors import CompanionError, DataError

N_TRAIN, N_TEST = 12, 6


def tiny_arrays(seed=0, n_train=N_TRAIN, n_test=N_TEST):
    """Four valid MNIST-layout arrays, small and seeded."""
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }


def write_npz(path, **overrides):
    arrays = {**tiny_arrays(), **overrides}
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def idx_bytes(array):
    header = bytes([0, 0, 0x08, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_folder(folder, *, gz=False, arrays=None):
    folder.mkdir(parents=True, exist_ok=True)
    arrays = arrays or tiny_arrays()
    for key, stem in IDX_FILES.items():
        raw = idx_bytes(arrays[key])
        if gz:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / stem).write_bytes(raw)
    return folder


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No user MNIST, an empty Keras cache, and a Keras loader that never downloads."""
    monkeypatch.delenv(mnist.ENV_VAR, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    calls = []

    def offline():
        calls.append("load_data")
        raise OSError("network disabled in tests")

    import keras

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    return calls


# --- the search order -----------------------------------------------------------------


def test_explicit_path_wins_over_env_and_keras(tmp_path, monkeypatch, isolated):
    good = write_npz(tmp_path / "good.npz")
    monkeypatch.setenv(mnist.ENV_VAR, str(tmp_path / "does_not_exist.npz"))
    data = load_mnist(good)
    assert data.source == str(good)
    assert not data.is_sample
    assert isolated == []  # Keras was never asked
    np.testing.assert_array_equal(data.y_test, tiny_arrays()["y_test"])


def test_env_var_wins_over_keras_and_sample(tmp_path, monkeypatch, isolated):
    good = write_npz(tmp_path / "env.npz")
    monkeypatch.setenv(mnist.ENV_VAR, str(good))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning
        data = load_mnist()
    assert "$COMPANION_MNIST" in data.source and str(good) in data.source
    assert not data.is_sample and isolated == []


def test_env_var_pointing_at_a_missing_file_is_an_error_not_a_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv(mnist.ENV_VAR, str(tmp_path / "nope.npz"))
    with pytest.raises(DataError, match="nope.npz"):
        load_mnist()


def test_keras_is_used_when_no_path_or_env(monkeypatch):
    import keras

    arrays = tiny_arrays(seed=3)
    monkeypatch.setattr(
        keras.datasets.mnist,
        "load_data",
        lambda: ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = load_mnist()
    assert data.source == "keras.datasets.mnist" and not data.is_sample
    np.testing.assert_allclose(data.x_test[..., 0], arrays["x_test"] / 255.0, atol=1e-7)


def test_keras_cache_is_used_without_download(tmp_path, monkeypatch):
    import keras

    cache = tmp_path / "keras_home" / "datasets"
    cache.mkdir(parents=True)
    (cache / "mnist.npz").write_bytes(b"cached")  # only its presence matters here
    arrays = tiny_arrays(seed=4)
    monkeypatch.setattr(
        keras.datasets.mnist,
        "load_data",
        lambda: ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])),
    )
    assert load_mnist(download=False).source == "keras.datasets.mnist"


def test_no_download_and_no_cache_falls_back_without_asking_keras(isolated):
    with pytest.warns(SampleFallbackWarning, match="COMPANION_MNIST"):
        data = load_mnist(download=False)
    assert isolated == []
    assert data.is_sample and data.source == "shipped sample"
    assert "sample" in data.description


def test_failed_download_falls_back_to_the_sample_loudly(isolated):
    with pytest.warns(SampleFallbackWarning, match="sample"):
        data = load_mnist()
    assert isolated == ["load_data"]  # Keras was tried first, and failed
    assert data.is_sample
    assert len(data.x_train) + len(data.x_val) == 8000 and len(data.x_test) == 2000


def test_keras_data_that_is_broken_is_an_error(monkeypatch):
    import keras

    arrays = tiny_arrays()
    bad = arrays["x_train"][:, :27]
    monkeypatch.setattr(
        keras.datasets.mnist,
        "load_data",
        lambda: ((bad, arrays["y_train"]), (arrays["x_test"], arrays["y_test"])),
    )
    with pytest.raises(DataError, match=r"keras\.datasets\.mnist: x_train has shape"):
        load_mnist()


def test_sample_flag_skips_keras_and_does_not_warn(isolated):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = load_mnist(sample=True)
    assert data.is_sample and isolated == []
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (6667, 1333, 2000)
    assert "sample" in data.description  # says it is the sample, not MNIST
    assert all(f"{n:,}" in data.description for n in (6667, 1333, 2000))  # and its split sizes


def test_explicit_path_wins_over_sample_flag(tmp_path):
    good = write_npz(tmp_path / "good.npz")
    data = load_mnist(good, sample=True)
    assert data.source == str(good) and not data.is_sample


# --- IDX folders -----------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
def test_idx_folder_gzipped_or_plain(tmp_path, gz):
    folder = write_idx_folder(tmp_path / "idx", gz=gz)
    arrays = read_mnist(folder)
    for key, expected in tiny_arrays().items():
        np.testing.assert_array_equal(arrays[key], expected)
    data = load_mnist(folder)
    assert data.source == str(folder) and not data.is_sample


def test_idx_folder_with_dotted_names_and_mixed_compression(tmp_path):
    folder = tmp_path / "dotted"
    folder.mkdir()
    arrays = tiny_arrays(seed=5)
    for i, (key, stem) in enumerate(IDX_FILES.items()):
        name = stem.replace("-idx", ".idx")  # the spelling some mirrors use
        raw = idx_bytes(arrays[key])
        if i % 2:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    np.testing.assert_array_equal(read_mnist(folder)["x_test"], arrays["x_test"])


def test_idx_folder_missing_a_file_names_it(tmp_path):
    folder = write_idx_folder(tmp_path / "idx")
    (folder / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match="no t10k-labels-idx1-ubyte"):
        read_mnist(folder)


def test_truncated_gzip_names_the_file(tmp_path):
    folder = write_idx_folder(tmp_path / "idx", gz=True)
    target = folder / "train-images-idx3-ubyte.gz"
    target.write_bytes(target.read_bytes()[:200])
    with pytest.raises(DataError) as error:
        read_mnist(folder)
    message = str(error.value)
    assert str(target) in message and "truncated" in message


def test_truncated_idx_data_says_how_much_is_missing(tmp_path):
    folder = write_idx_folder(tmp_path / "idx")
    target = folder / "train-images-idx3-ubyte"
    target.write_bytes(target.read_bytes()[:-10])
    expected = N_TRAIN * 28 * 28
    with pytest.raises(DataError) as error:
        read_mnist(folder)
    message = str(error.value)
    assert str(target) in message
    assert f"{expected - 10} data bytes" in message and f"{expected}" in message  # has, wants


def test_truncated_idx_header_is_an_error(tmp_path):
    folder = write_idx_folder(tmp_path / "idx")
    target = folder / "train-images-idx3-ubyte"
    target.write_bytes(target.read_bytes()[:10])  # magic + half the dimensions
    with pytest.raises(DataError, match="header is cut short"):
        read_mnist(folder)


def test_bad_magic_number(tmp_path):
    folder = write_idx_folder(tmp_path / "idx")
    target = folder / "train-labels-idx1-ubyte"
    raw = bytearray(target.read_bytes())
    raw[2] = 0x0D  # float data, not unsigned bytes
    target.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="bad magic number") as error:
        read_mnist(folder)
    assert str(target) in str(error.value)


def test_idx_labels_out_of_range(tmp_path):
    arrays = tiny_arrays()
    arrays["y_test"] = arrays["y_test"].copy()
    arrays["y_test"][0] = 12
    folder = write_idx_folder(tmp_path / "idx", arrays=arrays)
    with pytest.raises(DataError, match="y_test.*1 to 12.*0-9"):
        read_mnist(folder)


# --- bad .npz files ---------------------------------------------------------------------


def test_missing_file(tmp_path):
    target = tmp_path / "missing.npz"
    with pytest.raises(DataError, match="not found") as error:
        load_mnist(target)
    assert str(target) in str(error.value)
    assert isinstance(error.value, CompanionError)  # the runner turns it into one line


def test_wrong_keys_names_missing_and_found(tmp_path):
    target = write_npz(tmp_path / "keys.npz", y_test=None)
    with pytest.raises(DataError) as error:
        read_mnist(target)
    message = str(error.value)
    assert str(target) in message
    assert "y_test" in message and "x_train, y_train, x_test" in message  # missing, found


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"x_train": np.zeros((12, 28, 27), np.uint8)}, r"x_train has shape \(12, 28, 27\)"),
        ({"x_test": np.zeros((6, 784), np.uint8)}, r"x_test has shape \(6, 784\)"),
        ({"y_train": np.zeros(11, np.uint8)}, r"y_train has shape \(11,\); expected \(12,\)"),
        ({"x_train": np.zeros((12, 28, 28), np.float32)}, "x_train has dtype float32"),
        ({"y_test": np.zeros(6, np.float64)}, "y_test has dtype float64"),
        ({"y_train": np.full(12, -1, np.int64)}, "-1 to -1.*0-9"),
        ({"y_train": np.arange(12)}, "y_train.*0 to 11.*0-9"),
    ],
)
def test_bad_arrays_name_the_file_and_the_problem(tmp_path, overrides, expected):
    target = write_npz(tmp_path / "bad.npz", **overrides)
    with pytest.raises(DataError, match=expected) as error:
        load_mnist(target)
    assert str(error.value).startswith(str(target))


def test_truncated_npz(tmp_path):
    target = write_npz(tmp_path / "cut.npz")
    target.write_bytes(target.read_bytes()[:3000])
    with pytest.raises(DataError, match="not a readable .npz file") as error:
        read_mnist(target)
    assert str(target) in str(error.value)


def test_not_an_npz_at_all(tmp_path):
    target = tmp_path / "text.npz"
    target.write_text("hello")
    with pytest.raises(DataError, match="not a readable .npz file"):
        read_mnist(target)


def test_single_npy_array_is_refused(tmp_path):
    target = tmp_path / "one.npy"
    np.save(target, np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(DataError, match="a single array, not a .npz archive"):
        read_mnist(target)


# --- what comes back ---------------------------------------------------------------------


def test_output_shapes_dtypes_and_range(tmp_path):
    arrays = tiny_arrays(seed=7)
    np.savez(tmp_path / "m.npz", **arrays)
    data = load_mnist(tmp_path / "m.npz")
    val = N_TRAIN // 6
    assert data.x_train.shape == (N_TRAIN - val, 28, 28, 1)
    assert data.x_val.shape == (val, 28, 28, 1)
    assert data.x_test.shape == (N_TEST, 28, 28, 1)
    for x in (data.x_train, data.x_val, data.x_test):
        assert x.dtype == np.float32 and x.min() >= 0.0 and x.max() <= 1.0
    for y in (data.y_train, data.y_val, data.y_test):
        assert y.dtype == np.int64
    # The validation split is the end of the training set, in order.
    np.testing.assert_allclose(data.x_val[..., 0], arrays["x_train"][-val:] / 255.0, atol=1e-7)
    np.testing.assert_array_equal(data.y_val, arrays["y_train"][-val:])
    np.testing.assert_array_equal(data.y_train, arrays["y_train"][:-val])


def test_flatten(tmp_path):
    data = load_mnist(write_npz(tmp_path / "m.npz"), flatten=True, val_size=3)
    assert data.x_train.shape == (N_TRAIN - 3, 784)
    assert data.x_val.shape == (3, 784) and data.x_test.shape == (N_TEST, 784)
    expected = tiny_arrays()["x_test"].reshape(N_TEST, 784) / 255.0
    np.testing.assert_allclose(data.x_test, expected, atol=1e-7)


@pytest.mark.parametrize("val_size", [1, 5, N_TRAIN - 1])
def test_val_size(tmp_path, val_size):
    data = load_mnist(write_npz(tmp_path / "m.npz"), val_size=val_size)
    assert len(data.x_val) == len(data.y_val) == val_size
    assert len(data.x_train) == N_TRAIN - val_size


@pytest.mark.parametrize("val_size", [0, N_TRAIN, -2])
def test_val_size_out_of_range(tmp_path, val_size):
    with pytest.raises(ValueError, match=f"{N_TRAIN - 1}.*{val_size}"):
        load_mnist(write_npz(tmp_path / "m.npz"), val_size=val_size)


# --- the shipped sample -----------------------------------------------------------------


def test_sample_file_is_small():
    assert SAMPLE_PATH.stat().st_size <= 2 * 1024 * 1024


def test_sample_is_class_balanced_real_mnist():
    arrays = read_mnist(SAMPLE_PATH)
    assert arrays["x_train"].shape == (8000, 28, 28)
    assert arrays["x_test"].shape == (2000, 28, 28)
    assert np.bincount(arrays["y_train"], minlength=10).tolist() == [800] * 10
    assert np.bincount(arrays["y_test"], minlength=10).tolist() == [200] * 10
    x = arrays["x_train"]
    assert x.dtype == np.uint8 and x.min() == 0 and x.max() == 255
    # Real MNIST: about 13% ink on average, anti-aliased (many grey levels), digits
    # centred in a 20x20 box so the outer border is (almost) blank.
    assert 0.12 < x.mean() / 255 < 0.145
    assert len(np.unique(x)) > 200
    border = np.concatenate([x[:, :2].ravel(), x[:, -2:].ravel(), x[:, :, :2].ravel()])
    assert border.mean() < 1.0 and x[:, 10:18, 10:18].mean() > 60
    # Ones have the least ink, zeros and eights among the most.
    ink = [x[arrays["y_train"] == d].mean() for d in range(10)]
    assert int(np.argmin(ink)) == 1 and ink[0] > 1.5 * ink[1]
    # No test image is also a training image.
    train_rows = {row.tobytes() for row in x}
    assert not any(row.tobytes() in train_rows for row in arrays["x_test"])


def test_sample_digits_are_recognisable_by_nearest_centroid(mnist_sample):
    """Real digits: a nearest-class-mean classifier gets about 80% (noise would get 10%)."""
    d = mnist_sample
    x_train = d.x_train.reshape(len(d.x_train), -1)
    x_test = d.x_test.reshape(len(d.x_test), -1)
    centroids = np.stack([x_train[d.y_train == c].mean(axis=0) for c in range(10)])
    distances = ((x_test[:, None, :] - centroids[None]) ** 2).sum(axis=-1)
    accuracy = (distances.argmin(axis=1) == d.y_test).mean()
    assert 0.72 < accuracy < 0.9


def test_subset_keeps_the_first_images_of_the_splits_it_names(mnist_sample):
    small = mnist_sample.subset(train=10, test=3)
    assert (len(small.x_train), len(small.x_val), len(small.x_test)) == (
        10,
        len(mnist_sample.x_val),
        3,
    )
    np.testing.assert_array_equal(small.x_train, mnist_sample.x_train[:10])
    np.testing.assert_array_equal(small.y_test, mnist_sample.y_test[:3])
    assert small.source == mnist_sample.source and small.is_sample
    assert "10 train" in small.description
    with pytest.raises(ValueError, match="val=0"):
        mnist_sample.subset(val=0)


def test_flat_rows_are_views_of_the_images(mnist_sample):
    flat = mnist_sample.subset(train=5).flat()
    assert flat.x_train.shape == (5, 784) and flat.x_test.shape[1] == 784
    np.testing.assert_array_equal(flat.x_train[2], mnist_sample.x_train[2].ravel())
    assert np.shares_memory(flat.x_train, mnist_sample.x_train)  # no copy of 60,000 images
    np.testing.assert_array_equal(flat.y_val, mnist_sample.y_val)
