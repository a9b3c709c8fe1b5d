"""Write the MXNet-made ``.params`` fixtures in this folder, with their expected values.

Run it with a real MXNet 1.9.1 (not mxcore), e.g.::

    python3 -m venv /tmp/mxvenv
    /tmp/mxvenv/bin/pip install mxnet==1.9.1 'numpy<1.24'
    /tmp/mxvenv/bin/python tests/data/make_mxnet_fixture.py

It writes

* ``mxnet_list.params``      a list of dense arrays (several dtypes and shapes, a 0-size one)
* ``mxnet_dict.params``      a dict of dense arrays (Module/Gluon-style names, a UTF-8 name)
* ``mxnet_sparse.params``    a dict with a row_sparse and a csr array
* ``mxnet_np_shape.params``  arrays saved under NumPy shape semantics (V3 records: a 0-d one)
* ``mxnet_expected.npz``     the dense values MXNet reads back from those files
* ``mxnet_manifest.json``    which npz key belongs to which file entry, with dtype and stype

The values are fixed by a seeded generator, so rerunning gives identical files.
"""

from __future__ import annotations

import json
import os

import mxnet as mx
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def _values() -> list:
    rng = np.random.default_rng(20240601)
    special = np.array([[0.5, -0.0, np.nan], [np.inf, -np.inf, 1e-30]], dtype="float32")
    return [
        ("float32", special),
        ("float64", rng.standard_normal(4)),
        ("float16", rng.standard_normal((2, 2)).astype("float16")),
        ("int32", np.array([-2147483648, -1, 0, 2147483647], dtype="int32")),
        ("int64", np.array([[-(2 ** 62), 7], [2 ** 40, -3]], dtype="int64")),
        ("uint8", np.array([0, 1, 128, 255, 7], dtype="uint8")),
        ("int8", np.array([-128, -1, 0, 127], dtype="int8")),
        ("float32", rng.standard_normal((2, 3, 4)).astype("float32")),
        ("float32", np.zeros((0, 3), dtype="float32")),
        ("bool", np.array([True, False, True])),
    ]


def _entry(key: str, array, name=None) -> dict:
    return {"key": key, "name": name, "stype": array.stype, "dtype": np.dtype(array.dtype).name,
            "shape": list(array.shape)}


def main() -> None:
    expected = {}
    manifest = {"mxnet": mx.__version__, "numpy": np.__version__, "files": {}}

    # a list of dense arrays
    arrays = [mx.nd.array(v, dtype=dt) for dt, v in _values()]
    path = os.path.join(HERE, "mxnet_list.params")
    mx.nd.save(path, arrays)
    entries = []
    for i, a in enumerate(mx.nd.load(path)):
        key = f"list_{i}"
        expected[key] = a.asnumpy()
        entries.append(_entry(key, a))
    manifest["files"]["mxnet_list.params"] = {"kind": "list", "entries": entries}

    # a dict of dense arrays, with the names Module / Gluon write
    names = ["arg:fc1_weight", "arg:fc1_bias", "aux:bn_moving_mean", "dense0.weight",
             "gewicht_\u00e4\u00f6\u00fc"]
    dtypes = ["float32", "float32", "float32", "float64", "float16"]
    shapes = [(3, 4), (3,), (5,), (2, 2), (1, 2, 1)]
    rng = np.random.default_rng(7)
    data = {n: mx.nd.array(rng.standard_normal(s), dtype=d)
            for n, d, s in zip(names, dtypes, shapes)}
    path = os.path.join(HERE, "mxnet_dict.params")
    mx.nd.save(path, data)
    entries = []
    for i, (name, a) in enumerate(mx.nd.load(path).items()):
        key = f"dict_{i}"
        expected[key] = a.asnumpy()
        entries.append(_entry(key, a, name))
    manifest["files"]["mxnet_dict.params"] = {"kind": "dict", "entries": entries}

    # sparse arrays
    rsp = mx.nd.sparse.row_sparse_array(
        (np.array([[1, 2], [3, 4]], dtype="float32"), np.array([0, 2])), shape=(4, 2))
    csr = mx.nd.sparse.csr_matrix(
        (np.array([1.5, 2.5, 3.5], dtype="float64"), np.array([0, 2, 1]),
         np.array([0, 2, 2, 3])), shape=(3, 3))
    empty_rsp = mx.nd.sparse.zeros("row_sparse", (3, 2))
    path = os.path.join(HERE, "mxnet_sparse.params")
    mx.nd.save(path, {"rsp": rsp, "csr": csr, "empty_rsp": empty_rsp})
    entries = []
    for i, (name, a) in enumerate(mx.nd.load(path).items()):
        key = f"sparse_{i}"
        expected[key] = a.asnumpy()
        entries.append(_entry(key, a, name))
    manifest["files"]["mxnet_sparse.params"] = {"kind": "dict", "entries": entries}

    # NumPy shape semantics: V3 records, which can hold 0-d arrays
    path = os.path.join(HERE, "mxnet_np_shape.params")
    with mx.np_shape(True):
        scalar = mx.nd.array(np.array(2.5, dtype="float32"))
        zero = mx.nd.zeros((0, 2), dtype="int32")
        mx.nd.save(path, {"scalar": scalar, "zero": zero})
        loaded = mx.nd.load(path)
        entries = []
        for i, (name, a) in enumerate(loaded.items()):
            key = f"np_shape_{i}"
            expected[key] = a.asnumpy()
            entries.append(_entry(key, a, name))
    manifest["files"]["mxnet_np_shape.params"] = {"kind": "dict", "entries": entries}

    np.savez(os.path.join(HERE, "mxnet_expected.npz"), **expected)
    with open(os.path.join(HERE, "mxnet_manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
