"""Vision transforms as Blocks: Compose, Cast, ToTensor, Normalize, Resize, CenterCrop,
RandomResizedCrop, RandomFlipLeftRight, RandomFlipTopBottom (MXNet 1.x names and arguments).

Images are HWC NDArrays (a batch: NHWC) until :class:`ToTensor` makes them CHW float32.
Resizing and cropping are done on the host with NumPy (no PIL or OpenCV): ``interpolation``
0 is nearest and 1 bilinear, with OpenCV's pixel-centre conventions; other modes raise.
Random transforms draw from ``mx.random`` (reproducible after ``mx.random.seed``). The
transforms that MXNet makes HybridBlocks are HybridBlocks here too, but they run
imperatively: they read shapes and NumPy data, which a traced graph cannot yet.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Sequence, Tuple, Union

import numpy as np

from .... import ndarray as nd
from ....base import MXNetTypeError, MXNetValueError
from ....ndarray import NDArray
from ...block import Block, HybridBlock
from ...nn.sequential import HybridSequential, Lambda, Sequential
from ..sampler import _numpy_rng

__all__ = ["Compose", "Cast", "ToTensor", "Normalize", "Resize", "CenterCrop",
           "RandomResizedCrop", "RandomFlipLeftRight", "RandomFlipTopBottom"]

Size = Union[int, Sequence[int]]
_NEAREST, _BILINEAR = 0, 1


def _as_nd(x: Any) -> NDArray:
    if isinstance(x, NDArray):
        return x
    if isinstance(x, np.ndarray):
        return nd.array(x, dtype=x.dtype)
    raise MXNetTypeError(f"image transforms take an NDArray or NumPy array, got "
                         f"{type(x).__name__}")


def _check_image(x: NDArray, who: str, layout: str = "HWC") -> None:
    if x.ndim not in (3, 4):
        raise MXNetValueError(f"{who}: expects a {layout} image or N{layout} batch (3 or 4 "
                              f"dims); got shape {x.shape}")


def _size_wh(size: Size, who: str) -> Tuple[int, int]:
    """``size`` as (width, height): an int is a square, a pair is (width, height)."""
    pair = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    if len(pair) != 2 or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool)
                                 and s > 0 for s in pair):
        raise MXNetValueError(f"{who}: size must be a positive int or a (width, height) pair "
                              f"of positive ints, got {size!r}")
    return int(pair[0]), int(pair[1])


def _check_interpolation(interpolation: int, who: str) -> int:
    if interpolation not in (_NEAREST, _BILINEAR):
        raise MXNetValueError(f"{who}: interpolation {interpolation!r} is not supported; use 0 "
                              f"(nearest) or 1 (bilinear)")
    return int(interpolation)


class _ImageBlock(HybridBlock):
    """A HybridBlock taking one image (NDArray or NumPy array)."""

    def forward(self, x: Any, *args: Any) -> Any:
        return super().forward(_as_nd(x), *args)


# -- NumPy image kernels (HWC or NHWC) ------------------------------------------------------
def _source_coords(out_size: int, in_size: int, interpolation: int):
    """Source positions of the output pixels along one axis: integer indices for nearest,
    (lower index, upper index, weight of upper) for bilinear."""
    scale = in_size / out_size
    dst = np.arange(out_size, dtype=np.float64)
    if interpolation == _NEAREST:
        return np.minimum(np.floor(dst * scale).astype(np.int64), in_size - 1)
    src = np.clip((dst + 0.5) * scale - 0.5, 0.0, in_size - 1)
    low = np.floor(src).astype(np.int64)
    high = np.minimum(low + 1, in_size - 1)
    return low, high, src - low


def _to_dtype(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        values = np.clip(np.rint(values), info.min, info.max)
    return values.astype(dtype)


def _resize_host(image: np.ndarray, width: int, height: int, interpolation: int) -> np.ndarray:
    """Resize the H and W axes (-3, -2) of an HWC/NHWC array to (height, width)."""
    in_h, in_w = image.shape[-3], image.shape[-2]
    if (in_h, in_w) == (height, width):
        return image.copy()
    if interpolation == _NEAREST:
        rows = _source_coords(height, in_h, _NEAREST)
        cols = _source_coords(width, in_w, _NEAREST)
        return image[..., rows, :, :][..., cols, :]
    y0, y1, wy = _source_coords(height, in_h, _BILINEAR)
    x0, x1, wx = _source_coords(width, in_w, _BILINEAR)
    data = image.astype(np.float64)
    wy = wy[:, None, None]
    rows = data[..., y0, :, :] * (1.0 - wy) + data[..., y1, :, :] * wy
    wx = wx[:, None]
    out = rows[..., x0, :] * (1.0 - wx) + rows[..., x1, :] * wx
    return _to_dtype(out, image.dtype)


def _resize(x: NDArray, width: int, height: int, interpolation: int) -> NDArray:
    out = _resize_host(x.asnumpy(), width, height, interpolation)
    return nd.array(out, ctx=x.context, dtype=out.dtype)


def _fixed_crop(x: NDArray, x0: int, y0: int, w: int, h: int, size: Tuple[int, int],
                interpolation: int) -> NDArray:
    """Crop the ``w`` x ``h`` box at (x0, y0), then resize it to ``size`` = (w, h)."""
    crop = x.asnumpy()[..., y0:y0 + h, x0:x0 + w, :]
    if (w, h) != size:
        crop = _resize_host(crop, size[0], size[1], interpolation)
    return nd.array(crop, ctx=x.context, dtype=crop.dtype)


def _scale_down(src_wh: Tuple[int, int], size: Tuple[int, int]) -> Tuple[int, int]:
    """Shrink the crop ``size`` (keeping its aspect ratio) until it fits in ``src_wh``."""
    w, h = size
    src_w, src_h = src_wh
    if src_h < h:
        w, h = w * src_h / h, src_h
    if src_w < w:
        w, h = src_w, h * src_w / w
    return int(w), int(h)


def _center_crop(x: NDArray, size: Tuple[int, int], interpolation: int) -> NDArray:
    h, w = x.shape[-3], x.shape[-2]
    new_w, new_h = _scale_down((w, h), size)
    x0 = int((w - new_w) / 2)
    y0 = int((h - new_h) / 2)
    return _fixed_crop(x, x0, y0, new_w, new_h, size, interpolation)


# -- the transforms ----------------------------------------------------------------------------
class Compose(Sequential):
    """Applies ``transforms`` in order; runs of HybridBlocks are grouped in a hybridized
    HybridSequential. Plain callables are wrapped in :class:`~mxcore.gluon.nn.Lambda`.

    Example::

        >>> import mxcore as mx
        >>> from mxcore.gluon.data.vision import transforms
        >>> t = transforms.Compose([transforms.Resize(4), transforms.ToTensor()])
        >>> t(mx.nd.zeros((8, 6, 3), dtype='uint8')).shape
        (3, 4, 4)
    """

    def __init__(self, transforms: Iterable[Union[Block, Callable]]) -> None:
        super().__init__()
        run: list = []
        for transform in list(transforms) + [None]:
            if isinstance(transform, HybridBlock):
                run.append(transform)
                continue
            if len(run) == 1:
                self.add(run[0])
            elif len(run) > 1:
                group = HybridSequential()
                group.add(*run)
                group.hybridize()
                self.add(group)
            run = []
            if transform is None:
                continue
            if not isinstance(transform, Block):
                if not callable(transform):
                    raise MXNetTypeError(f"Compose: {transform!r} is neither a Block nor "
                                         f"callable")
                transform = Lambda(transform)
            self.add(transform)


class Cast(_ImageBlock):
    """Casts the input to ``dtype``.

    Example::

        >>> import mxcore as mx
        >>> from mxcore.gluon.data.vision import transforms
        >>> transforms.Cast('float16')(mx.nd.ones((2,))).dtype
        <class 'numpy.float16'>
    """

    def __init__(self, dtype: Any = "float32") -> None:
        super().__init__()
        self._dtype = dtype

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.cast(x, dtype=self._dtype)


class ToTensor(_ImageBlock):
    """HWC (or NHWC) image with values in [0, 255] -> CHW (or NCHW) float32 in [0, 1].

    Example::

        >>> import mxcore as mx
        >>> from mxcore.gluon.data.vision import transforms
        >>> out = transforms.ToTensor()(mx.nd.full((2, 2, 3), 255, dtype='uint8'))
        >>> out.shape, float(out.max().asscalar())
        ((3, 2, 2), 1.0)
    """

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        _check_image(x, "ToTensor")
        axes = (2, 0, 1) if x.ndim == 3 else (0, 3, 1, 2)
        return F.transpose(F.cast(x, dtype="float32"), axes=axes) / 255.0


class Normalize(_ImageBlock):
    """``(x - mean) / std`` per channel of a CHW (or NCHW) float tensor; ``mean`` and ``std``
    are numbers or one value per channel.

    Example::

        >>> import mxcore as mx
        >>> from mxcore.gluon.data.vision import transforms
        >>> norm = transforms.Normalize(mean=(0.5, 0.0), std=(0.5, 2.0))
        >>> norm(mx.nd.ones((2, 1, 1))).reshape((-1,)).asnumpy()
        array([1. , 0.5], dtype=float32)
    """

    def __init__(self, mean: Union[float, Sequence[float]] = 0.0,
                 std: Union[float, Sequence[float]] = 1.0) -> None:
        super().__init__()
        self._mean = self._values(mean, "mean")
        self._std = self._values(std, "std")
        if not np.all(self._std > 0):
            raise MXNetValueError(f"Normalize: std must be > 0, got {std!r}")

    @staticmethod
    def _values(value: Any, name: str) -> np.ndarray:
        values = np.atleast_1d(np.asarray(value, dtype=np.float64))
        if values.ndim != 1 or values.size == 0:
            raise MXNetValueError(f"Normalize: {name} must be a number or a sequence of "
                                  f"numbers, got {value!r}")
        return values

    def _per_channel(self, F: Any, values: np.ndarray, x: NDArray, channels: int,
                     name: str) -> NDArray:
        if values.size not in (1, channels):
            raise MXNetValueError(f"Normalize: {name} has {values.size} values but the input "
                                  f"has {channels} channels; got shape {x.shape}")
        shape = (values.size, 1, 1) if x.ndim == 3 else (1, values.size, 1, 1)
        return F.array(values.reshape(shape), ctx=x.context, dtype=x.dtype)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        _check_image(x, "Normalize", layout="CHW")
        if not np.issubdtype(x.dtype, np.floating):
            raise MXNetTypeError(f"Normalize: expects a float tensor (apply ToTensor first); "
                                 f"got dtype {np.dtype(x.dtype).name}")
        channels = x.shape[0] if x.ndim == 3 else x.shape[1]
        mean = self._per_channel(F, self._mean, x, channels, "mean")
        std = self._per_channel(F, self._std, x, channels, "std")
        return F.broadcast_div(F.broadcast_sub(x, mean), std)


class Resize(_ImageBlock):
    """Resizes an HWC (or NHWC) image to ``size``: an int for a square, or (width, height).

    With ``keep_ratio=True`` and an int ``size``, the shorter edge becomes ``size`` and the
    other keeps the aspect ratio. ``interpolation``: 0 nearest, 1 bilinear.

    Example::

        >>> import mxcore as mx
        >>> from mxcore.gluon.data.vision import transforms
        >>> transforms.Resize((4, 2))(mx.nd.zeros((6, 6, 3))).shape
        (2, 4, 3)
        >>> transforms.Resize(4, keep_ratio=True)(mx.nd.zeros((8, 12, 1))).shape
        (4, 6, 1)
    """

    def __init__(self, size: Size, keep_ratio: bool = False, interpolation: int = 1) -> None:
        super().__init__()
        _size_wh(size, "Resize")
        self._size = size
        self._keep = bool(keep_ratio)
        self._interpolation = _check_interpolation(interpolation, "Resize")

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        _check_image(x, "Resize")
        if isinstance(self._size, (int, np.integer)) and self._keep:
            h, w = x.shape[-3], x.shape[-2]
            if h > w:
                width, height = int(self._size), int(h * self._size / w)
            else:
                width, height = int(w * self._size / h), int(self._size)
        else:
            width, height = _size_wh(self._size, "Resize")
        return _resize(x, width, height, self._interpolation)


class CenterCrop(Block):
    """Crops the centre of an HWC (or NHWC) image to ``size`` (int or (width, height)).

    An image smaller than ``size`` gives the largest centred crop of ``size``'s aspect ratio,
    resized up to ``size``.

    Example::

        >>> import mxcore as mx
        >>> from mxcore.gluon.data.vision import transforms
        >>> transforms.CenterCrop((4, 2))(mx.nd.zeros((6, 8, 3))).shape
        (2, 4, 3)
    """

    def __init__(self, size: Size, interpolation: int = 1) -> None:
        super().__init__()
        self._size = _size_wh(size, "CenterCrop")
        self._interpolation = _check_interpolation(interpolation, "CenterCrop")

    def forward(self, x: Any) -> NDArray:
        x = _as_nd(x)
        _check_image(x, "CenterCrop")
        return _center_crop(x, self._size, self._interpolation)


class RandomResizedCrop(Block):
    """Crops a random box (area a random fraction in ``scale`` of the image, aspect ratio
    log-uniform in ``ratio``), resized to ``size``. Falls back to a centre crop when 10 tries
    find no box that fits.

    Example::

        >>> import mxcore as mx
        >>> from mxcore.gluon.data.vision import transforms
        >>> transforms.RandomResizedCrop(4)(mx.nd.zeros((10, 10, 3))).shape
        (4, 4, 3)
    """

    def __init__(self, size: Size, scale: Tuple[float, float] = (0.08, 1.0),
                 ratio: Tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
                 interpolation: int = 1) -> None:
        super().__init__()
        self._size = _size_wh(size, "RandomResizedCrop")
        for name, pair in (("scale", scale), ("ratio", ratio)):
            if len(pair) != 2 or not 0 < pair[0] <= pair[1]:
                raise MXNetValueError(f"RandomResizedCrop: {name} must be (low, high) with "
                                      f"0 < low <= high, got {pair!r}")
        self._scale = (float(scale[0]), float(scale[1]))
        self._ratio = (float(ratio[0]), float(ratio[1]))
        self._interpolation = _check_interpolation(interpolation, "RandomResizedCrop")

    def forward(self, x: Any) -> NDArray:
        x = _as_nd(x)
        _check_image(x, "RandomResizedCrop")
        h, w = x.shape[-3], x.shape[-2]
        rng = _numpy_rng()
        log_ratio = (math.log(self._ratio[0]), math.log(self._ratio[1]))
        for _ in range(10):
            area = rng.uniform(*self._scale) * h * w
            aspect = math.exp(rng.uniform(*log_ratio))
            new_w = int(round(math.sqrt(area * aspect)))
            new_h = int(round(math.sqrt(area / aspect)))
            if 0 < new_w <= w and 0 < new_h <= h:
                x0 = int(rng.integers(0, w - new_w + 1))
                y0 = int(rng.integers(0, h - new_h + 1))
                return _fixed_crop(x, x0, y0, new_w, new_h, self._size, self._interpolation)
        return _center_crop(x, self._size, self._interpolation)


class _RandomFlip(_ImageBlock):
    _axis = -2
    _who = ""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        _check_image(x, self._who)
        if F.random.uniform(0, 1, shape=(1,), ctx=x.context).asscalar() < 0.5:
            return F.flip(x, axis=x.ndim + self._axis)
        return x


class RandomFlipLeftRight(_RandomFlip):
    """Flips an HWC (or NHWC) image left-right with probability 0.5.

    Example::

        >>> import mxcore as mx
        >>> from mxcore.gluon.data.vision import transforms
        >>> transforms.RandomFlipLeftRight()(mx.nd.zeros((2, 3, 1))).shape
        (2, 3, 1)
    """

    _axis = -2
    _who = "RandomFlipLeftRight"


class RandomFlipTopBottom(_RandomFlip):
    """Flips an HWC (or NHWC) image top-bottom with probability 0.5.

    Example::

        >>> import mxcore as mx
        >>> from mxcore.gluon.data.vision import transforms
        >>> transforms.RandomFlipTopBottom()(mx.nd.zeros((2, 3, 1))).shape
        (2, 3, 1)
    """

    _axis = -3
    _who = "RandomFlipTopBottom"
