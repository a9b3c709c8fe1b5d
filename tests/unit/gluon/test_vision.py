"""gluon.data.vision: datasets from synthetic files in the real formats, and transforms
against NumPy references."""

import gzip
import inspect
import math
import os
import struct

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError
from mxcore.gluon import Block, HybridBlock
from mxcore.gluon.data import DataLoader
from mxcore.gluon.data.vision import CIFAR10, CIFAR100, MNIST, FashionMNIST, transforms
from mxcore.gluon.nn import HybridSequential, Lambda


# -- file writers in the real formats -----------------------------------------------------------
def _idx_bytes(array):
    header = struct.pack(">HBB", 0, 0x08, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write(path, data, gz=False):
    opener = gzip.open if gz else open
    with opener(path, "wb") as f:
        f.write(data)


def _write_mnist(root, prefix="train", n=5, gz=True, rng=None):
    rng = rng or np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    suffix = ".gz" if gz else ""
    os.makedirs(root, exist_ok=True)
    _write(os.path.join(root, f"{prefix}-images-idx3-ubyte{suffix}"), _idx_bytes(images), gz)
    _write(os.path.join(root, f"{prefix}-labels-idx1-ubyte{suffix}"), _idx_bytes(labels), gz)
    return images, labels


def _cifar_records(images_chw, *label_columns):
    labels = np.stack(label_columns, axis=1).astype(np.uint8)
    pixels = images_chw.reshape(len(images_chw), -1).astype(np.uint8)
    return np.concatenate([labels, pixels], axis=1).tobytes()


# -- MNIST / FashionMNIST -------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [True, False])
def test_mnist_reads_idx_files(tmp_path, gz):
    images, labels = _write_mnist(str(tmp_path), gz=gz)
    ds = MNIST(root=str(tmp_path))
    assert len(ds) == 5
    image, label = ds[3]
    assert isinstance(image, mx.nd.NDArray) and image.shape == (28, 28, 1)
    assert image.dtype == np.uint8
    np.testing.assert_array_equal(image.asnumpy()[:, :, 0], images[3])
    assert label == labels[3] and isinstance(label, np.int32)


def test_mnist_test_split_transform_and_loader(tmp_path):
    _write_mnist(str(tmp_path), "train", n=3)
    images, labels = _write_mnist(str(tmp_path), "t10k", n=4, rng=np.random.default_rng(1))
    ds = MNIST(root=str(tmp_path), train=False,
               transform=lambda x, y: (x.astype("float32") / 255, y + 100))
    assert len(ds) == 4
    x, y = ds[0]
    np.testing.assert_allclose(x.asnumpy()[:, :, 0], images[0] / 255.0, rtol=1e-6)
    assert y == labels[0] + 100
    data, label = next(iter(DataLoader(MNIST(root=str(tmp_path)), batch_size=3)))
    assert data.shape == (3, 28, 28, 1) and label.dtype == np.int32


def test_fashion_mnist_has_its_own_root(tmp_path):
    images, _ = _write_mnist(str(tmp_path), gz=False)
    np.testing.assert_array_equal(FashionMNIST(root=str(tmp_path))[0][0].asnumpy()[..., 0],
                                  images[0])
    defaults = {cls: inspect.signature(cls).parameters["root"].default
                for cls in (MNIST, FashionMNIST, CIFAR10, CIFAR100)}
    assert defaults[MNIST].endswith(os.path.join(".mxnet", "datasets", "mnist"))
    assert defaults[FashionMNIST].endswith(os.path.join("datasets", "fashion-mnist"))
    assert defaults[CIFAR10].endswith(os.path.join("datasets", "cifar10"))
    assert defaults[CIFAR100].endswith(os.path.join("datasets", "cifar100"))


def test_mnist_missing_files_say_what_to_put_where(tmp_path):
    _write_mnist(str(tmp_path), "t10k")
    with pytest.raises(MXNetError) as info:
        MNIST(root=str(tmp_path))
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and "train-labels-idx1-ubyte.gz" in message
    assert str(tmp_path) in message and "t10k" not in message
    assert isinstance(info.value, FileNotFoundError)


@pytest.mark.parametrize("damage, match", [
    (lambda b: b[:-3], "truncated"),
    (lambda b: b + b"\x00", "unexpected data"),
    (lambda b: b"\x00\x00\x0b\x03" + b[4:], "not an idx-ubyte"),
    (lambda b: b[:2], "truncated"),
    (lambda b: b[:4] + struct.pack(">3I", 2**31, 2**31, 2**31) + b[16:], "implausible"),
])
def test_mnist_rejects_corrupt_files(tmp_path, damage, match):
    _write_mnist(str(tmp_path), gz=False)
    path = os.path.join(str(tmp_path), "train-images-idx3-ubyte")
    with open(path, "rb") as f:
        data = f.read()
    _write(path, damage(data))
    with pytest.raises(MXNetError, match=match):
        MNIST(root=str(tmp_path))


def test_mnist_rejects_mismatched_counts_and_bad_labels(tmp_path):
    root = str(tmp_path)
    _write_mnist(root, gz=False)
    _write(os.path.join(root, "train-labels-idx1-ubyte"), _idx_bytes(np.zeros(4)))
    with pytest.raises(MXNetError, match="5 images but .* 4 labels"):
        MNIST(root=root)
    _write(os.path.join(root, "train-labels-idx1-ubyte"), _idx_bytes(np.full(5, 10)))
    with pytest.raises(MXNetError, match="label 10 out of range"):
        MNIST(root=root)
    with gzip.open(os.path.join(root, "train-images-idx3-ubyte.gz"), "wb") as f:
        f.write(b"\x00\x00\x08")
    with pytest.raises(MXNetError):  # the .gz is preferred, and truncated
        MNIST(root=root)


# -- CIFAR ----------------------------------------------------------------------------------------
def _write_cifar10(root, per_file=2):
    folder = os.path.join(root, "cifar-10-batches-bin")
    os.makedirs(folder)
    rng = np.random.default_rng(2)
    out = {}
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        images = rng.integers(0, 256, size=(per_file, 3, 32, 32), dtype=np.uint8)
        labels = rng.integers(0, 10, size=per_file)
        _write(os.path.join(folder, name), _cifar_records(images, labels))
        out[name] = (images, labels)
    return out


def test_cifar10_binary_batches(tmp_path):
    files = _write_cifar10(str(tmp_path))
    train = CIFAR10(root=str(tmp_path))
    assert len(train) == 10
    image, label = train[5]  # third file, second record
    images, labels = files["data_batch_3.bin"]
    assert image.shape == (32, 32, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(image.asnumpy(), images[1].transpose(1, 2, 0))
    assert label == labels[1] and isinstance(label, np.int32)
    test = CIFAR10(root=str(tmp_path), train=False, transform=lambda x, y: (x.shape, y))
    assert len(test) == 2 and test[0] == ((32, 32, 3), files["test_batch.bin"][1][0])


def test_cifar10_errors(tmp_path):
    with pytest.raises(MXNetError) as info:
        CIFAR10(root=str(tmp_path), train=False)
    message = str(info.value)
    assert "test_batch.bin" in message
    assert os.path.join(str(tmp_path), "cifar-10-batches-bin") in message
    assert "cifar-10-binary.tar.gz" in message
    files = _write_cifar10(str(tmp_path / "ok"))
    folder = tmp_path / "ok" / "cifar-10-batches-bin"
    with open(folder / "test_batch.bin", "ab") as f:
        f.write(b"\x01")
    with pytest.raises(MXNetError, match="not a positive multiple of the 3073-byte"):
        CIFAR10(root=str(tmp_path / "ok"), train=False)
    images, _ = files["test_batch.bin"]
    _write(str(folder / "test_batch.bin"), _cifar_records(images, np.array([3, 10])))
    with pytest.raises(MXNetError, match="label 10 out of range"):
        CIFAR10(root=str(tmp_path / "ok"), train=False)


def test_cifar100_coarse_and_fine_labels(tmp_path):
    folder = tmp_path / "cifar-100-binary"
    folder.mkdir()
    images = np.arange(3 * 3072, dtype=np.int64).reshape(3, 3, 32, 32) % 251
    _write(str(folder / "train.bin"), _cifar_records(images, np.array([1, 19, 0]),
                                                     np.array([5, 99, 42])))
    coarse = CIFAR100(root=str(tmp_path))
    fine = CIFAR100(root=str(tmp_path), fine_label=True)
    assert [coarse[i][1] for i in range(3)] == [1, 19, 0]
    assert [fine[i][1] for i in range(3)] == [5, 99, 42]
    np.testing.assert_array_equal(fine[2][0].asnumpy(), images[2].transpose(1, 2, 0))
    with pytest.raises(MXNetError, match="test.bin"):
        CIFAR100(root=str(tmp_path), train=False)
    _write(str(folder / "train.bin"), _cifar_records(images, np.array([1, 20, 0]),
                                                     np.array([5, 9, 4])))
    with pytest.raises(MXNetError, match="label 20 out of range"):
        CIFAR100(root=str(tmp_path), fine_label=True)


# -- transforms: references ---------------------------------------------------------------------
def _ref_resize(image, out_w, out_h, bilinear):
    """Pixel-by-pixel resize of an HWC array with OpenCV's conventions (float64 result)."""
    in_h, in_w, channels = image.shape
    out = np.zeros((out_h, out_w, channels))
    sy, sx = in_h / out_h, in_w / out_w
    for oy in range(out_h):
        for ox in range(out_w):
            if not bilinear:
                out[oy, ox] = image[min(int(oy * sy), in_h - 1), min(int(ox * sx), in_w - 1)]
                continue
            fy, fx = (oy + 0.5) * sy - 0.5, (ox + 0.5) * sx - 0.5
            y, x = math.floor(fy), math.floor(fx)
            dy, dx = fy - y, fx - x
            if y < 0:
                y, dy = 0, 0.0
            if x < 0:
                x, dx = 0, 0.0
            if y >= in_h - 1:
                y, dy = in_h - 1, 0.0
            if x >= in_w - 1:
                x, dx = in_w - 1, 0.0
            y1, x1 = min(y + 1, in_h - 1), min(x + 1, in_w - 1)
            out[oy, ox] = ((1 - dy) * (1 - dx) * image[y, x] + (1 - dy) * dx * image[y, x1]
                           + dy * (1 - dx) * image[y1, x] + dy * dx * image[y1, x1])
    return out


def _image(h, w, c=3, dtype=np.uint8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(h, w, c)).astype(dtype)


def test_transforms_are_blocks_like_mxnet():
    hybrid = [transforms.Cast(), transforms.ToTensor(), transforms.Normalize(),
              transforms.Resize(2), transforms.RandomFlipLeftRight(),
              transforms.RandomFlipTopBottom()]
    assert all(isinstance(t, HybridBlock) for t in hybrid)
    plain = [transforms.CenterCrop(2), transforms.RandomResizedCrop(2)]
    assert all(isinstance(t, Block) and not isinstance(t, HybridBlock) for t in plain)
    assert isinstance(transforms.Compose([]), mx.gluon.nn.Sequential)


def test_to_tensor_and_cast():
    image = _image(4, 5)
    out = transforms.ToTensor()(mx.nd.array(image, dtype=np.uint8))
    assert out.shape == (3, 4, 5) and out.dtype == np.float32
    np.testing.assert_allclose(out.asnumpy(), image.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    batch = np.stack([image, image[::-1]])
    out = transforms.ToTensor()(batch)  # NumPy input, NHWC
    np.testing.assert_allclose(out.asnumpy(), batch.transpose(0, 3, 1, 2) / 255.0, rtol=1e-6)
    with pytest.raises(MXNetError, match="ToTensor.*shape \\(4, 5\\)"):
        transforms.ToTensor()(mx.nd.zeros((4, 5)))
    assert transforms.Cast("float64")(mx.nd.array(image)).dtype == np.float64
    assert transforms.Cast()(mx.nd.array(image, dtype=np.uint8)).dtype == np.float32


def test_normalize():
    x = np.random.default_rng(3).random((3, 4, 2)).astype(np.float32)
    mean, std = (0.1, 0.5, 0.9), (0.2, 1.0, 4.0)
    out = transforms.Normalize(mean, std)(mx.nd.array(x))
    expected = (x - np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-5)
    batch = np.stack([x, 2 * x])
    out = transforms.Normalize(0.5, 2.0)(mx.nd.array(batch))
    np.testing.assert_allclose(out.asnumpy(), (batch - 0.5) / 2.0, rtol=1e-6)
    with pytest.raises(MXNetError, match="2 values but the input has 3 channels"):
        transforms.Normalize((0.0, 1.0))(mx.nd.array(x))
    with pytest.raises(MXNetError, match="float"):
        transforms.Normalize()(mx.nd.zeros((3, 2, 2), dtype=np.uint8))
    with pytest.raises(MXNetError, match="std must be > 0"):
        transforms.Normalize(0.0, (1.0, 0.0))


@pytest.mark.parametrize("interpolation", [0, 1])
@pytest.mark.parametrize("in_hw, out_wh", [((5, 7), (3, 4)), ((3, 4), (9, 5)), ((6, 6), (6, 6)),
                                           ((1, 5), (3, 2))])
def test_resize_matches_reference(interpolation, in_hw, out_wh):
    image = _image(*in_hw, c=2, dtype=np.float32, seed=sum(in_hw))
    out = transforms.Resize(out_wh, interpolation=interpolation)(mx.nd.array(image))
    assert out.shape == (out_wh[1], out_wh[0], 2) and out.dtype == np.float32
    expected = _ref_resize(image.astype(np.float64), *out_wh, bilinear=interpolation == 1)
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-5, atol=1e-4)


def test_resize_uint8_rounds_and_known_cases():
    image = _image(6, 8)
    out = transforms.Resize((5, 3))(mx.nd.array(image, dtype=np.uint8))
    assert out.dtype == np.uint8
    expected = _ref_resize(image.astype(np.float64), 5, 3, bilinear=True)
    assert np.abs(out.asnumpy().astype(np.float64) - expected).max() <= 0.5 + 1e-9
    # halving with bilinear averages 2x2 blocks; doubling with nearest repeats pixels
    x = _image(4, 4, c=1, dtype=np.float64)
    half = transforms.Resize(2)(mx.nd.array(x, dtype=np.float64)).asnumpy()
    np.testing.assert_allclose(half, x.reshape(2, 2, 2, 2, 1).mean(axis=(1, 3)))
    double = transforms.Resize(8, interpolation=0)(mx.nd.array(x, dtype=np.float64))
    np.testing.assert_array_equal(double.asnumpy(), x.repeat(2, axis=0).repeat(2, axis=1))
    batch = np.stack([x, -x])
    out = transforms.Resize(2)(mx.nd.array(batch, dtype=np.float64)).asnumpy()
    np.testing.assert_allclose(out[1], -half)


def test_resize_keep_ratio_and_errors():
    assert transforms.Resize(4, keep_ratio=True)(mx.nd.zeros((10, 5, 1))).shape == (8, 4, 1)
    assert transforms.Resize(4, keep_ratio=True)(mx.nd.zeros((5, 10, 1))).shape == (4, 8, 1)
    assert transforms.Resize((3, 2), keep_ratio=True)(mx.nd.zeros((5, 10, 1))).shape \
        == (2, 3, 1)
    with pytest.raises(MXNetError, match="interpolation 2"):
        transforms.Resize(4, interpolation=2)
    with pytest.raises(MXNetError, match="size"):
        transforms.Resize((4, 0))
    with pytest.raises(MXNetError, match="Resize"):
        transforms.Resize(4)(mx.nd.zeros((4, 4)))


def test_center_crop():
    image = _image(7, 10)
    out = transforms.CenterCrop((4, 3))(mx.nd.array(image, dtype=np.uint8))
    np.testing.assert_array_equal(out.asnumpy(), image[2:5, 3:7])
    square = transforms.CenterCrop(5)(image)
    np.testing.assert_array_equal(square.asnumpy(), image[1:6, 2:7])
    # larger than the image: the largest centred 2:1 box (10x5), resized up to 20x10
    big = transforms.CenterCrop((20, 10))(mx.nd.array(image, dtype=np.float64))
    expected = _ref_resize(image[1:6].astype(np.float64), 20, 10, bilinear=True)
    np.testing.assert_allclose(big.asnumpy(), expected)


def test_random_resized_crop():
    image = _image(12, 12, dtype=np.float32)
    crop = transforms.RandomResizedCrop(5)
    mx.random.seed(4)
    first = [crop(mx.nd.array(image)).asnumpy() for _ in range(3)]
    assert all(o.shape == (5, 5, 3) for o in first)
    mx.random.seed(4)
    np.testing.assert_array_equal(crop(mx.nd.array(image)).asnumpy(), first[0])
    assert not np.array_equal(first[0], first[1])
    full = transforms.RandomResizedCrop((6, 4), scale=(1.0, 1.0), ratio=(1.0, 1.0))
    out = full(mx.nd.array(image)).asnumpy()  # a 12x12 box: the whole image, resized
    np.testing.assert_allclose(out, _ref_resize(image.astype(np.float64), 6, 4, True),
                               rtol=1e-5, atol=1e-4)
    wide = transforms.RandomResizedCrop(3, scale=(1.0, 1.0), ratio=(4.0, 4.0))
    out = wide(mx.nd.array(_image(4, 4, dtype=np.float32)))  # no box fits: centre crop
    assert out.shape == (3, 3, 3)
    with pytest.raises(MXNetError, match="scale"):
        transforms.RandomResizedCrop(3, scale=(0.5, 0.1))


@pytest.mark.parametrize("cls, axis", [(transforms.RandomFlipLeftRight, 1),
                                       (transforms.RandomFlipTopBottom, 0)])
def test_random_flips(cls, axis):
    image = _image(3, 4)
    flip = cls()
    mx.random.seed(0)
    outs = [flip(mx.nd.array(image, dtype=np.uint8)).asnumpy() for _ in range(40)]
    flipped = [np.array_equal(o, np.flip(image, axis)) for o in outs]
    same = [np.array_equal(o, image) for o in outs]
    assert all(f or s for f, s in zip(flipped, same))
    assert 5 < sum(flipped) < 35
    mx.random.seed(0)
    assert [np.array_equal(flip(mx.nd.array(image, dtype=np.uint8)).asnumpy(), o)
            for o in outs[:5]] == [True] * 5
    batch = np.stack([image, image + 1])
    mx.random.seed(0)
    out = flip(mx.nd.array(batch)).asnumpy()
    assert np.array_equal(out, batch) or np.array_equal(out, np.flip(batch, axis + 1))


def test_compose_groups_hybrid_runs():
    plain = Lambda(lambda x: x + 0)
    chain = transforms.Compose([transforms.Resize(4), transforms.CenterCrop(3), plain,
                                transforms.ToTensor(), transforms.Normalize(0.5, 0.25),
                                lambda x: x * 2])
    kinds = [type(child) for child in chain._children.values()]
    assert kinds == [transforms.Resize, transforms.CenterCrop, Lambda, HybridSequential,
                     Lambda]
    image = _image(8, 8)
    out = chain(mx.nd.array(image, dtype=np.uint8))
    manual = transforms.Resize(4)(mx.nd.array(image, dtype=np.uint8))
    manual = transforms.CenterCrop(3)(manual)
    expected = (manual.asnumpy().transpose(2, 0, 1) / 255.0 - 0.5) / 0.25 * 2
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(MXNetError, match="neither a Block nor callable"):
        transforms.Compose([3])


def test_transform_first_in_a_loader(tmp_path):
    _write_mnist(str(tmp_path), n=4)
    pipeline = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.5, 0.5)])
    ds = MNIST(root=str(tmp_path)).transform_first(pipeline)
    data, label = next(iter(DataLoader(ds, batch_size=4)))
    assert data.shape == (4, 1, 28, 28) and data.dtype == np.float32
    assert float(data.min().asscalar()) >= -1.0 and float(data.max().asscalar()) <= 1.0
