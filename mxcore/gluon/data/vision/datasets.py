"""Vision datasets read from local files: MNIST, FashionMNIST, CIFAR10, CIFAR100.

Nothing is downloaded: when a file is missing, the error names each file and the folder to
put it in. Files are parsed as untrusted input: MNIST's idx-ubyte format (optionally gzipped)
and CIFAR's *binary* format (never the pickled Python version), with every header, size and
label checked. A sample is ``(image, label)``: an HWC uint8 NDArray and an int32 label.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
from typing import BinaryIO, Callable, List, Optional, Tuple

import numpy as np

from ....base import MXNetError, MXNetValueError
from ....ndarray import array
from ..dataset import Dataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100"]

_IDX_UBYTE = 0x08
_IDX_MAX_BYTES = 1 << 31  # far above any real idx dataset (MNIST's images are 47 MB)
_CHUNK = 1 << 20
_CIFAR_PIXELS = 3 * 32 * 32


class DatasetFilesMissing(MXNetError, FileNotFoundError):
    """The files of a dataset are not where the dataset looks for them."""


def _data_dir() -> str:
    return os.environ.get("MXNET_HOME", os.path.join("~", ".mxnet"))


def _default_root(name: str) -> str:
    return os.path.join(_data_dir(), "datasets", name)


class _LocalDataset(Dataset):
    """Images and labels loaded from files under ``root``; ``transform(data, label)``."""

    def __init__(self, root: str, transform: Optional[Callable]) -> None:
        self._root = os.path.abspath(os.path.expanduser(root))
        self._transform = transform
        self._data, self._label = self._get_data()

    def _get_data(self) -> Tuple:
        raise NotImplementedError

    def __getitem__(self, idx: int):
        if self._transform is not None:
            return self._transform(self._data[idx], self._label[idx])
        return self._data[idx], self._label[idx]

    def __len__(self) -> int:
        return len(self._label)

    def _require(self, files: List[Tuple[str, ...]], where: str, hint: str) -> List[str]:
        """The path of each file (each entry lists accepted names); raise naming every
        missing one."""
        folder = os.path.join(self._root, where) if where else self._root
        found, missing = [], []
        for names in files:
            path = next((os.path.join(folder, n) for n in names
                         if os.path.isfile(os.path.join(folder, n))), None)
            if path is None:
                missing.append(" or ".join(names))
            else:
                found.append(path)
        if missing:
            raise DatasetFilesMissing(
                f"{type(self).__name__}: missing file(s) {', '.join(missing)}; put them in "
                f"{folder} (mxcore does not download datasets; {hint})")
        return found


# -- MNIST ------------------------------------------------------------------------------------
def _read_exact(stream: BinaryIO, count: int, path: str) -> bytes:
    """Exactly ``count`` bytes, read in chunks (a header that lies about the size cannot make
    us allocate more than the file holds)."""
    chunks, left = [], count
    while left:
        chunk = stream.read(min(left, _CHUNK))
        if not chunk:
            raise MXNetValueError(f"{path}: truncated file: expected {count} bytes, got "
                                  f"{count - left}")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_idx(path: str, ndim: int) -> np.ndarray:
    """An idx-ubyte array of ``ndim`` dimensions from ``path`` (gzipped if it ends in .gz)."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as stream:
            zeros, dtype_code, file_ndim = struct.unpack(">HBB", _read_exact(stream, 4, path))
            if zeros != 0 or dtype_code != _IDX_UBYTE or file_ndim != ndim:
                raise MXNetValueError(
                    f"{path}: not an idx-ubyte file with {ndim} dimension(s) (magic bytes "
                    f"{zeros:04x} {dtype_code:02x} {file_ndim:02x})")
            shape = struct.unpack(f">{ndim}I", _read_exact(stream, 4 * ndim, path))
            count = math.prod(shape)
            if count > _IDX_MAX_BYTES:
                raise MXNetValueError(f"{path}: implausible array shape {shape} in the header")
            payload = _read_exact(stream, count, path)
            if stream.read(1):
                raise MXNetValueError(f"{path}: unexpected data after the {shape} array")
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise MXNetValueError(f"{path}: cannot read: {exc}") from None
    return np.frombuffer(payload, dtype=np.uint8).reshape(shape)


class MNIST(_LocalDataset):
    """The MNIST handwritten digits: 28x28x1 uint8 images, labels 0-9.

    Needs ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte`` (``train=True``) or
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (``train=False``), each optionally
    gzipped (``.gz``), in ``root``.

    Example::

        >>> from mxcore.gluon.data.vision import MNIST
        >>> MNIST(root='/nonexistent')  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        mxcore.gluon.data.vision.datasets.DatasetFilesMissing: MNIST: missing file(s) ...
    """

    _hint = ("the files are at http://yann.lecun.com/exdb/mnist/ and on mirrors such as "
             "https://ossci-datasets.s3.amazonaws.com/mnist/")
    _num_classes = 10

    def __init__(self, root: str = _default_root("mnist"), train: bool = True,
                 transform: Optional[Callable] = None) -> None:
        self._train = train
        super().__init__(root, transform)

    def _get_data(self) -> Tuple:
        prefix = "train" if self._train else "t10k"
        names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
        images_path, labels_path = self._require([(n + ".gz", n) for n in names], "",
                                                 self._hint)
        labels = _read_idx(labels_path, 1)
        images = _read_idx(images_path, 3)
        if images.shape[0] != labels.shape[0]:
            raise MXNetValueError(f"{type(self).__name__}: {images_path} holds "
                                  f"{images.shape[0]} images but {labels_path} holds "
                                  f"{labels.shape[0]} labels")
        if labels.size and labels.max() >= self._num_classes:
            raise MXNetValueError(f"{labels_path}: label {int(labels.max())} out of range "
                                  f"[0, {self._num_classes})")
        data = images.reshape(images.shape + (1,))
        return array(data, dtype=data.dtype), labels.astype(np.int32)


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando's clothing images): the MNIST file formats and names, in its
    own ``root``."""

    _hint = "the files are at https://github.com/zalandoresearch/fashion-mnist"

    def __init__(self, root: str = _default_root("fashion-mnist"), train: bool = True,
                 transform: Optional[Callable] = None) -> None:
        super().__init__(root, train, transform)


# -- CIFAR ------------------------------------------------------------------------------------
def _read_cifar(path: str, label_bytes: int) -> Tuple[np.ndarray, np.ndarray]:
    """Images (N, 32, 32, 3) and the label bytes (N, label_bytes) of a CIFAR binary file."""
    record = label_bytes + _CIFAR_PIXELS
    size = os.path.getsize(path)
    if size == 0 or size % record:
        raise MXNetValueError(f"{path}: not a CIFAR binary file: its size {size} is not a "
                              f"positive multiple of the {record}-byte record")
    with open(path, "rb") as stream:
        raw = _read_exact(stream, size, path)
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(-1, record)
    images = rows[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, rows[:, :label_bytes]


class CIFAR10(_LocalDataset):
    """CIFAR-10: 32x32x3 uint8 images in 10 classes.

    Needs the binary version (``cifar-10-binary.tar.gz``, extracted): ``data_batch_1.bin``
    ... ``data_batch_5.bin`` (``train=True``) or ``test_batch.bin`` in
    ``root/cifar-10-batches-bin``.
    """

    _folder = "cifar-10-batches-bin"
    _label_bytes = 1
    _hint = ("extract the binary version, https://www.cs.toronto.edu/~kriz/"
             "cifar-10-binary.tar.gz, into the folder above it")

    def __init__(self, root: str = _default_root("cifar10"), train: bool = True,
                 transform: Optional[Callable] = None) -> None:
        self._train = train
        super().__init__(root, transform)

    def _files(self) -> List[str]:
        if self._train:
            return [f"data_batch_{i}.bin" for i in range(1, 6)]
        return ["test_batch.bin"]

    def _labels(self, label_bytes: np.ndarray, path: str) -> np.ndarray:
        return self._checked(label_bytes[:, 0], 10, path)

    @staticmethod
    def _checked(labels: np.ndarray, num_classes: int, path: str) -> np.ndarray:
        if labels.max() >= num_classes:
            raise MXNetValueError(f"{path}: label {int(labels.max())} out of range "
                                  f"[0, {num_classes})")
        return labels.astype(np.int32)

    def _get_data(self) -> Tuple:
        paths = self._require([(n,) for n in self._files()], self._folder, self._hint)
        images, labels = [], []
        for path in paths:
            batch_images, label_bytes = _read_cifar(path, self._label_bytes)
            images.append(batch_images)
            labels.append(self._labels(label_bytes, path))
        data = np.concatenate(images)
        return array(data, dtype=data.dtype), np.concatenate(labels)


class CIFAR100(CIFAR10):
    """CIFAR-100: 32x32x3 uint8 images; labels are the 20 coarse classes, or the 100 fine
    ones with ``fine_label=True``.

    Needs the binary version (``cifar-100-binary.tar.gz``, extracted): ``train.bin`` or
    ``test.bin`` in ``root/cifar-100-binary``.
    """

    _folder = "cifar-100-binary"
    _label_bytes = 2
    _hint = ("extract the binary version, https://www.cs.toronto.edu/~kriz/"
             "cifar-100-binary.tar.gz, into the folder above it")

    def __init__(self, root: str = _default_root("cifar100"), fine_label: bool = False,
                 train: bool = True, transform: Optional[Callable] = None) -> None:
        self._fine_label = bool(fine_label)
        super().__init__(root, train, transform)

    def _files(self) -> List[str]:
        return ["train.bin" if self._train else "test.bin"]

    def _labels(self, label_bytes: np.ndarray, path: str) -> np.ndarray:
        self._checked(label_bytes[:, 0], 20, path)
        fine = self._checked(label_bytes[:, 1], 100, path)
        return fine if self._fine_label else label_bytes[:, 0].astype(np.int32)
