"""mx.nd.save / mx.nd.load: MXNet's .params format, both directions, and hostile files.

The fixtures in tests/data were written by real MXNet 1.9.1 (tests/data/make_mxnet_fixture.py).
Whether MXNet can read mxcore's files is checked when ``mxnet`` is importable here, or when
MXCORE_MXNET_PYTHON names a Python interpreter that has it (MXNet 1.x needs numpy<1.24, so it
usually lives in its own virtual environment).
"""

import json
import os
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError, MXNetTypeError, MXNetValueError
from mxcore.ndarray import serialization
from mxcore.ndarray.serialization import V1_MAGIC, V2_MAGIC, MXNetFileError

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
FIXTURES = ["mxnet_list.params", "mxnet_dict.params", "mxnet_sparse.params",
            "mxnet_np_shape.params"]


def _manifest():
    with open(os.path.join(DATA, "mxnet_manifest.json"), encoding="utf-8") as f:
        return json.load(f)


def _expected():
    with np.load(os.path.join(DATA, "mxnet_expected.npz"), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _read(path):
    with open(path, "rb") as f:
        return f.read()


# -- files written by MXNet -----------------------------------------------------------------
@pytest.mark.parametrize("fname", FIXTURES)
def test_load_mxnet_fixture(fname):
    spec = _manifest()["files"][fname]
    expected = _expected()
    loaded = mx.nd.load(os.path.join(DATA, fname))
    if spec["kind"] == "list":
        assert isinstance(loaded, list)
        pairs = list(zip([None] * len(loaded), loaded))
    else:
        assert isinstance(loaded, dict)
        pairs = list(loaded.items())
    assert len(pairs) == len(spec["entries"])
    for (name, arr), entry in zip(pairs, spec["entries"]):
        assert name == entry["name"]
        assert arr.stype == entry["stype"]
        assert np.dtype(arr.dtype).name == entry["dtype"]
        assert list(arr.shape) == entry["shape"]
        assert arr.context == mx.cpu(0)
        assert _same_bits(arr.asnumpy(), expected[entry["key"]]), entry


def test_fixture_covers_the_dtypes():
    dtypes = {e["dtype"] for e in _manifest()["files"]["mxnet_list.params"]["entries"]}
    assert dtypes >= {"float32", "float64", "float16", "int32", "int64", "uint8", "int8",
                      "bool"}


@pytest.mark.parametrize("fname", FIXTURES[:3])
def test_resave_is_byte_identical_to_mxnet(tmp_path, fname):
    original = os.path.join(DATA, fname)
    out = tmp_path / fname
    mx.nd.save(out, mx.nd.load(original))
    assert _read(out) == _read(original)


def test_load_frombuffer_matches_load():
    path = os.path.join(DATA, "mxnet_dict.params")
    a = mx.nd.load(path)
    b = serialization.load_frombuffer(_read(path))
    assert list(a) == list(b)
    for k in a:
        assert _same_bits(a[k].asnumpy(), b[k].asnumpy())


# -- round trips -----------------------------------------------------------------------------
def _sample_arrays():
    rng = np.random.default_rng(0)
    return {
        "f32": mx.nd.array(rng.standard_normal((2, 3)), dtype="float32"),
        "f64": mx.nd.array(rng.standard_normal((4,)), dtype="float64"),
        "f16": mx.nd.array(rng.standard_normal((2, 2)), dtype="float16"),
        "i32": mx.nd.array([-5, 0, 2 ** 31 - 1], dtype="int32"),
        "i64": mx.nd.array([[-(2 ** 62)], [3]], dtype="int64"),
        "u8": mx.nd.array([0, 255], dtype="uint8"),
        "i8": mx.nd.array([-128, 127], dtype="int8"),
        "bool": mx.nd.array([True, False], dtype="bool"),
        "3d": mx.nd.array(rng.standard_normal((2, 3, 4))),
        "empty": mx.nd.zeros((0, 3)),
        "scalar": mx.nd.array(np.array(1.5), dtype="float64"),
        "nan": mx.nd.array([np.nan, -np.inf, -0.0]),
        "rsp": mx.nd.sparse.row_sparse_array(([[1.0, 2.0]], [2]), shape=(3, 2)),
        "csr": mx.nd.sparse.csr_matrix(([1, 2], [0, 2], [0, 1, 2]), shape=(2, 3),
                                       dtype="float64"),
        "empty_csr": mx.nd.sparse.zeros("csr", (3, 4)),
    }


def _assert_same(a, b):
    assert a.stype == b.stype and a.shape == b.shape and a.dtype == b.dtype
    assert _same_bits(a.asnumpy(), b.asnumpy())


def test_round_trip_dict(tmp_path):
    data = _sample_arrays()
    path = str(tmp_path / "x.params")
    mx.nd.save(path, data)
    back = mx.nd.load(path)
    assert list(back) == list(data)  # order kept
    for k in data:
        _assert_same(back[k], data[k])


def test_round_trip_list_tuple_and_single(tmp_path):
    arrays = list(_sample_arrays().values())
    path = tmp_path / "x.params"
    mx.nd.save(path, arrays)
    back = mx.nd.load(path)
    assert isinstance(back, list) and len(back) == len(arrays)
    for a, b in zip(arrays, back):
        _assert_same(a, b)
    mx.nd.save(path, tuple(arrays[:2]))
    assert len(mx.nd.load(path)) == 2
    mx.nd.save(path, arrays[0])
    (single,) = mx.nd.load(path)
    _assert_same(single, arrays[0])
    mx.nd.save(path, [])
    assert mx.nd.load(path) == []
    mx.nd.save(path, {})
    assert mx.nd.load(path) == []  # MXNet cannot tell an empty dict from an empty list


def test_unicode_and_empty_names(tmp_path):
    path = tmp_path / "x.params"
    data = {"": mx.nd.ones((1,)), "schl\u00fcssel \u2603": mx.nd.zeros((2,))}
    mx.nd.save(path, data)
    assert list(mx.nd.load(path)) == list(data)


def test_other_contexts_load_on_cpu0(tmp_path):
    path = tmp_path / "x.params"
    mx.nd.save(path, [mx.nd.ones((2,), ctx=mx.cpu(3))])
    raw = _read(path)
    # dev_type 1 (cpu), dev_id 3 sit after: list header (24) + magic, stype, ndim, dim (20)
    assert struct.unpack_from("<ii", raw, 44) == (1, 3)
    assert mx.nd.load(path)[0].context == mx.cpu(0)


def test_gpu_file_loads_on_cpu_without_gpu_backend(tmp_path):
    if mx.num_gpus():
        pytest.skip("a GPU is present: the array would go to it")
    head = struct.pack("<QQQ", 0x112, 0, 1)
    rec = struct.pack("<Iiiqii i", V2_MAGIC, 0, 1, 2, 2, 0, 0) + np.ones(2, "<f4").tobytes()
    out = serialization.load_frombuffer(head + rec + struct.pack("<Q", 0))
    assert out[0].context == mx.cpu(0) and np.array_equal(out[0].asnumpy(), [1, 1])


# -- older formats -----------------------------------------------------------------------------
def _file(records, names=()):
    raw = struct.pack("<QQQ", 0x112, 0, len(records)) + b"".join(records)
    raw += struct.pack("<Q", len(names))
    for n in names:
        raw += struct.pack("<Q", len(n)) + n.encode()
    return raw


def test_load_v1_records():
    values = np.arange(6, dtype="<f8").reshape(2, 3)
    rec = (struct.pack("<Iiqq", V1_MAGIC, 2, 2, 3) + struct.pack("<iii", 1, 0, 1)
           + values.tobytes())
    out = serialization.load_frombuffer(_file([rec], ["w"]))
    assert out["w"].dtype == np.float64 and np.array_equal(out["w"].asnumpy(), values)


def test_load_legacy_records_without_magic():
    values = np.array([[1, 2], [3, 4], [5, 6]], dtype="<i4")
    rec = struct.pack("<III", 2, 3, 2) + struct.pack("<iii", 1, 0, 4) + values.tobytes()
    out = serialization.load_frombuffer(_file([rec]))
    assert out[0].dtype == np.int32 and np.array_equal(out[0].asnumpy(), values)


# -- hostile and broken files ------------------------------------------------------------------
def test_every_truncation_is_a_clear_error():
    raw = _read(os.path.join(DATA, "mxnet_sparse.params"))
    for n in range(len(raw)):
        with pytest.raises(MXNetValueError, match="truncated|corrupt|claims"):
            serialization.load_frombuffer(raw[:n])


def test_random_corruption_never_escapes_as_another_error():
    raw = bytearray(_read(os.path.join(DATA, "mxnet_list.params")))
    rng = np.random.default_rng(1)
    for _ in range(400):
        broken = bytearray(raw)
        for pos in rng.integers(0, len(raw), size=rng.integers(1, 4)):
            broken[pos] = int(rng.integers(0, 256))
        try:
            serialization.load_frombuffer(bytes(broken))
        except MXNetError:
            pass  # a clear error, or the flip landed in data and the load succeeded


def _record(ndim_and_dims=(1, 2), flag=0, payload=8, stype=0):
    ndim, *dims = ndim_and_dims
    return (struct.pack(f"<Iii{len(dims)}q", V2_MAGIC, stype, ndim, *dims)
            + struct.pack("<iii", 1, 0, flag) + b"\0" * payload)


@pytest.mark.parametrize("raw, match", [
    (b"", "truncated"),
    (struct.pack("<QQQ", 0x113, 0, 0), "not an MXNet NDArray file"),
    (b"PK\x03\x04" + b"\0" * 40, "not an MXNet NDArray file"),
    (struct.pack("<QQQ", 0x112, 0, 2 ** 60), "claims"),
    (_file([_record((40,) + (1,) * 40)]), "impossible number of dimensions"),
    (_file([_record((2, 3, -5))]), "negative dimension"),
    (_file([_record((2, 2 ** 40, 2 ** 40))]), "truncated or corrupt"),
    (_file([_record(flag=99)]), "unknown dtype flag 99"),
    (_file([_record(stype=7)]), "unknown storage type 7"),
    (_file([_record((0,), payload=0)]), "no shape"),
    (_file([struct.pack("<Ii", V2_MAGIC, -1)]), "no shape"),
    (_file([struct.pack("<I", 0xDEADBEEF)]), "unknown array magic 0xDEADBEEF"),
    (_file([_record()], ["a", "b"]), "2 names for 1 arrays"),
    (_file([_record()])[:-8] + struct.pack("<QQ", 1, 2 ** 62), "truncated"),
    (_file([_record()])[:-8] + struct.pack("<QQ", 1, 2) + b"\xff\xfe", "UTF-8"),
])
def test_corrupt_headers(raw, match):
    with pytest.raises(MXNetValueError, match=match):
        serialization.load_frombuffer(raw)


def test_unsupported_dtype_flag_is_named():
    with pytest.raises(MXNetTypeError, match="int16"):
        serialization.load_frombuffer(_file([_record(flag=8)]))


def test_inconsistent_sparse_record():
    x = mx.nd.sparse.row_sparse_array(([[1.0, 2.0]], [1]), shape=(3, 2))
    raw = bytearray(b"".join(bytes(c) for c in serialization._encode([x], [])))
    index_at = len(raw) - 8 - 8  # the one int64 row index, before the names count
    raw[index_at:index_at + 8] = struct.pack("<q", 9)
    with pytest.raises(MXNetValueError, match="inconsistent sparse array.*\\[0, 3\\)"):
        serialization.load_frombuffer(bytes(raw))


def test_load_missing_file_and_wrong_buffer_type(tmp_path):
    with pytest.raises(MXNetFileError, match="cannot open") as info:
        mx.nd.load(tmp_path / "nope.params")
    assert isinstance(info.value, OSError)
    with pytest.raises(MXNetTypeError):
        serialization.load_frombuffer("not bytes")


# -- saving ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("data, error", [
    ({"a": np.ones(2)}, MXNetTypeError),
    ({1: mx.nd.ones(2)}, MXNetTypeError),
    ([mx.nd.ones(2), "x"], MXNetTypeError),
    ("oops", MXNetValueError),
    (np.ones(2), MXNetValueError),
])
def test_save_rejects_bad_data(tmp_path, data, error):
    path = tmp_path / "x.params"
    with pytest.raises(error):
        mx.nd.save(path, data)
    assert not path.exists()


def test_save_to_missing_directory(tmp_path):
    with pytest.raises(MXNetFileError, match="cannot write"):
        mx.nd.save(tmp_path / "no" / "such" / "x.params", [mx.nd.ones(2)])


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "x.params"
    mx.nd.save(path, {"old": mx.nd.ones((3,))})
    before = _read(path)

    def exploding(arrays, names):
        yield b"partial data"
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(serialization, "_encode", exploding)
    with pytest.raises(RuntimeError, match="disk on fire"):
        mx.nd.save(path, {"new": mx.nd.zeros((3,))})
    assert _read(path) == before
    assert sorted(os.listdir(tmp_path)) == ["x.params"]  # no temporary file left behind


def test_save_replaces_and_keeps_mode(tmp_path):
    path = tmp_path / "x.params"
    mx.nd.save(path, [mx.nd.ones((1,))])
    os.chmod(path, 0o600)
    mx.nd.save(path, [mx.nd.zeros((4,))])
    assert mx.nd.load(path)[0].shape == (4,)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert sorted(os.listdir(tmp_path)) == ["x.params"]


def test_save_through_a_symlink_writes_the_target(tmp_path):
    target = tmp_path / "real.params"
    link = tmp_path / "link.params"
    mx.nd.save(target, [mx.nd.ones((1,))])
    os.symlink(target, link)
    mx.nd.save(link, [mx.nd.zeros((2,))])
    assert os.path.islink(link)
    assert mx.nd.load(target)[0].shape == (2,)


# -- MXNet reads mxcore's files ----------------------------------------------------------------
_MXNET_CHECK = textwrap.dedent("""
    import json, sys
    import numpy as np
    import mxnet as mx
    path, expect_path = sys.argv[1], sys.argv[2]
    expected = np.load(expect_path)
    out = {}
    for name, arr in mx.nd.load(path).items():
        host = arr.asnumpy()
        out[name] = [arr.stype, str(host.dtype), list(host.shape),
                     bool(np.array_equal(host, expected[name], equal_nan=host.dtype.kind == "f"))]
    print(json.dumps(out))
""")


def _mxnet_runner():
    """A callable running _MXNET_CHECK in-process or in the MXCORE_MXNET_PYTHON interpreter."""
    try:
        import mxnet  # noqa: F401
    except Exception:
        python = os.environ.get("MXCORE_MXNET_PYTHON")
        if not python:
            pytest.skip("real MXNet not available: install mxnet here or set "
                        "MXCORE_MXNET_PYTHON to a Python that has it")
        return lambda *args: subprocess.run([python, "-c", _MXNET_CHECK, *args], check=True,
                                            capture_output=True, text=True).stdout
    return lambda *args: subprocess.run([sys.executable, "-c", _MXNET_CHECK, *args],
                                        check=True, capture_output=True, text=True).stdout


def test_mxnet_loads_mxcore_files(tmp_path):
    run = _mxnet_runner()
    data = {k: v for k, v in _sample_arrays().items() if k != "scalar"}  # 0-d needs np_shape
    path = str(tmp_path / "mxcore.params")
    mx.nd.save(path, data)
    expect = str(tmp_path / "expected.npz")
    np.savez(expect, **{k: v.asnumpy() for k, v in data.items()})
    lines = [ln for ln in run(path, expect).splitlines() if ln.startswith("{")]
    result = json.loads(lines[-1])
    assert list(result) == list(data)
    for name, arr in data.items():
        stype, dtype, shape, equal = result[name]
        assert (stype, dtype, shape) == (arr.stype, np.dtype(arr.dtype).name,
                                         list(arr.shape)), name
        assert equal, name
