"""mx.io: DataDesc, DataBatch, NDArrayIter, ResizeIter, PrefetchingIter, CSVIter."""

import gc
import pickle
import subprocess
import sys

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError, MXNetTypeError, MXNetValueError


def _epoch(it, key="data"):
    """[(values of the first data (or label) array, pad), ...] for one pass."""
    out = []
    for batch in it:
        arrays = batch.data if key == "data" else batch.label
        out.append((arrays[0].asnumpy().tolist(), batch.pad))
    return out


# -- DataDesc / DataBatch ------------------------------------------------------------------------
def test_data_desc_fields_and_tuple_behaviour():
    desc = mx.io.DataDesc("x", [4, 3], np.float16, "NTC")
    assert desc.name == "x" and desc.shape == (4, 3)
    assert desc.dtype is np.float16 and desc.layout == "NTC"
    assert desc == ("x", (4, 3))
    name, shape = desc
    assert (name, shape) == ("x", (4, 3))
    assert repr(desc) == "DataDesc[x,(4, 3),<class 'numpy.float16'>,NTC]"
    default = mx.io.DataDesc("d", (1,))
    assert default.dtype is np.float32 and default.layout == "NCHW"
    again = pickle.loads(pickle.dumps(desc))
    assert again == desc and again.dtype is np.float16 and again.layout == "NTC"


def test_data_desc_batch_axis_and_get_list():
    assert mx.io.DataDesc.get_batch_axis(None) == 0
    assert mx.io.DataDesc.get_batch_axis("TNC") == 1
    assert mx.io.DataDesc.get_batch_axis("CHW") == -1
    descs = mx.io.DataDesc.get_list([("a", (2, 3)), ("b", (2,))], [("b", "int32"),
                                                                   ("a", np.float64)])
    assert [(d.name, d.shape, d.dtype) for d in descs] == [("a", (2, 3), np.float64),
                                                           ("b", (2,), "int32")]
    assert [d.dtype for d in mx.io.DataDesc.get_list([("a", (1,))], None)] == [np.float32]


def test_data_batch():
    data, label = [mx.nd.zeros((2, 3))], [mx.nd.ones((2,))]
    batch = mx.io.DataBatch(data, label, pad=1, index=np.array([4, 5]), bucket_key=7,
                            provide_data=[mx.io.DataDesc("data", (2, 3))])
    assert batch.data is data and batch.label is label and batch.pad == 1
    assert batch.bucket_key == 7 and batch.index.tolist() == [4, 5]
    assert batch.provide_data[0].name == "data" and batch.provide_label is None
    assert str(batch) == "DataBatch: data shapes: [(2, 3)] label shapes: [(2,)]"
    assert str(mx.io.DataBatch(data)).endswith("label shapes: None")
    with pytest.raises(MXNetTypeError):
        mx.io.DataBatch(mx.nd.zeros((2,)))


def test_data_iter_base_protocol():
    class Counter(mx.io.DataIter):
        def __init__(self):
            super().__init__(batch_size=2)
            self.count = 0

        def reset(self):
            self.count = 0

        def iter_next(self):
            self.count += 1
            return self.count <= 2

        def getdata(self):
            return [mx.nd.full((2,), self.count)]

        def getpad(self):
            return 0

    it = Counter()
    assert iter(it) is it and it.batch_size == 2
    batches = list(it)
    assert [b.data[0].asnumpy().tolist() for b in batches] == [[1, 1], [2, 2]]
    assert batches[0].label is None and batches[0].index is None
    with pytest.raises(StopIteration):
        it.next()
    it.reset()
    assert len(list(it)) == 2
    with pytest.raises(NotImplementedError):
        _ = it.provide_data


# -- NDArrayIter -----------------------------------------------------------------------------------
def test_pad_wraps_from_the_start():
    it = mx.io.NDArrayIter(np.arange(10), np.arange(10) * 2, batch_size=4)
    assert _epoch(it) == [([0, 1, 2, 3], 0), ([4, 5, 6, 7], 0), ([8, 9, 0, 1], 2)]
    it.reset()
    assert _epoch(it, "label") == [([0, 2, 4, 6], 0), ([8, 10, 12, 14], 0),
                                   ([16, 18, 0, 2], 2)]


def test_pad_larger_than_the_data_repeats_it():
    it = mx.io.NDArrayIter(mx.nd.arange(3), batch_size=8)
    assert _epoch(it) == [([0, 1, 2, 0, 1, 2, 0, 1], 5)]


def test_discard_drops_the_incomplete_batch():
    it = mx.io.NDArrayIter(np.arange(10), batch_size=4, last_batch_handle="discard")
    for _ in range(2):
        assert _epoch(it) == [([0, 1, 2, 3], 0), ([4, 5, 6, 7], 0)]
        it.reset()


def test_roll_over_carries_the_remainder_into_the_next_epoch():
    it = mx.io.NDArrayIter(np.arange(10), np.arange(10) + 100, batch_size=4,
                           last_batch_handle="roll_over")
    assert _epoch(it) == [([0, 1, 2, 3], 0), ([4, 5, 6, 7], 0)]
    it.reset()
    second = list(it)
    # MXNet reports the carried samples as the first batch's pad
    assert [(b.data[0].asnumpy().tolist(), b.label[0].asnumpy().tolist(), b.pad)
            for b in second] == [([8, 9, 0, 1], [108, 109, 100, 101], 2),
                                 ([2, 3, 4, 5], [102, 103, 104, 105], 0),
                                 ([6, 7, 8, 9], [106, 107, 108, 109], 0)]
    it.reset()  # the second epoch ended on a full batch: nothing to carry
    assert _epoch(it) == [([0, 1, 2, 3], 0), ([4, 5, 6, 7], 0)]
    it.hard_reset()
    assert _epoch(it)[0] == ([0, 1, 2, 3], 0)


def test_shuffle_is_reproducible_with_mx_random_seed():
    data = np.arange(12).reshape(6, 2)
    label = np.arange(6)

    def run():
        mx.random.seed(42)
        it = mx.io.NDArrayIter(data, label, batch_size=3, shuffle=True)
        first = [(b.data[0].asnumpy(), b.label[0].asnumpy()) for b in it]
        it.reset()
        second = [b.label[0].asnumpy().tolist() for b in it]
        return first, second

    first, second = run()
    again, second_again = run()
    order = np.concatenate([lab for _, lab in first]).astype(int)
    assert sorted(order.tolist()) == list(range(6))
    for (d, lab), (d2, lab2) in zip(first, again):
        np.testing.assert_array_equal(lab, lab2)
        np.testing.assert_array_equal(d, d2)
        np.testing.assert_array_equal(d, data[lab.astype(int)])  # rows stay with labels
    assert second == second_again
    seen = set()
    for seed in range(8):  # some seed gives a non-identity order
        mx.random.seed(seed)
        it = mx.io.NDArrayIter(data, label, batch_size=6, shuffle=True)
        seen.add(tuple(next(it).label[0].asnumpy().astype(int).tolist()))
    assert len(seen) > 1


def test_inputs_dict_list_numpy_and_provide_descs():
    it = mx.io.NDArrayIter({"b": np.ones((5, 2)), "a": mx.nd.zeros((5, 3), dtype="float64")},
                           {"lab": np.arange(5)}, batch_size=2)
    assert it.provide_data == [("a", (2, 3)), ("b", (2, 2))]  # sorted by name
    assert [d.dtype for d in it.provide_data] == [np.float64, np.float32]
    assert it.provide_label == [("lab", (2,))]
    batch = next(it)
    assert [a.shape for a in batch.data] == [(2, 3), (2, 2)]
    assert batch.index is None and batch.pad == 0

    listed = mx.io.NDArrayIter([np.ones((4, 1)), np.zeros((4, 1))], [np.arange(4)],
                               batch_size=4, data_name="x", label_name="y")
    assert [d.name for d in listed.provide_data] == ["_0_x", "_1_x"]
    assert [d.name for d in listed.provide_label] == ["y"]

    plain = mx.io.NDArrayIter(np.ones((4, 3)), batch_size=2)
    assert plain.provide_data[0].name == "data" and plain.provide_label == []
    assert next(plain).label == []
    default_label = mx.io.NDArrayIter(np.ones((4, 3)), np.ones(4), batch_size=2)
    assert default_label.provide_label[0].name == "softmax_label"


def test_getters_and_iter_next():
    it = mx.io.NDArrayIter(np.arange(5), np.arange(5), batch_size=2)
    assert it.iter_next()
    assert it.getdata()[0].asnumpy().tolist() == [0, 1] and it.getpad() == 0
    assert it.iter_next() and it.iter_next()
    assert it.getlabel()[0].asnumpy().tolist() == [4, 0] and it.getpad() == 1
    assert it.getindex() is None
    assert not it.iter_next()


def test_ndarray_iter_rejects_bad_input():
    with pytest.raises(MXNetValueError, match="same number of samples"):
        mx.io.NDArrayIter(np.ones((4, 2)), np.ones(3))
    with pytest.raises(MXNetValueError, match="last_batch_handle"):
        mx.io.NDArrayIter(np.ones(4), last_batch_handle="keep")
    with pytest.raises(MXNetValueError, match="batch_size"):
        mx.io.NDArrayIter(np.ones(4), batch_size=0)
    with pytest.raises(MXNetTypeError):
        mx.io.NDArrayIter("not an array")
    with pytest.raises(MXNetValueError):
        mx.io.NDArrayIter([])


# -- ResizeIter ------------------------------------------------------------------------------------
def test_resize_iter_restarts_and_truncates():
    base = mx.io.NDArrayIter(np.arange(6), batch_size=2)
    longer = mx.io.ResizeIter(base, 5)
    assert [v for v, _ in _epoch(longer)] == [[0, 1], [2, 3], [4, 5], [0, 1], [2, 3]]
    assert longer.provide_data == base.provide_data and longer.batch_size == 2
    longer.reset()
    assert _epoch(longer)[0] == ([0, 1], 0)

    shorter = mx.io.ResizeIter(mx.io.NDArrayIter(np.arange(6), batch_size=2), 2,
                               reset_internal=False)
    assert [v for v, _ in _epoch(shorter)] == [[0, 1], [2, 3]]
    shorter.reset()
    assert [v for v, _ in _epoch(shorter)] == [[4, 5], [0, 1]]


# -- PrefetchingIter -------------------------------------------------------------------------------
def test_prefetching_equals_the_plain_iterator():
    def make():
        return mx.io.NDArrayIter(np.arange(14).reshape(7, 2), np.arange(7), batch_size=3)

    plain, pre = make(), mx.io.PrefetchingIter(make())
    try:
        assert pre.provide_data == plain.provide_data and pre.batch_size == 3
        for _ in range(2):
            got, want = list(pre), list(plain)
            assert len(got) == len(want) == 3
            for g, w in zip(got, want):
                np.testing.assert_array_equal(g.data[0].asnumpy(), w.data[0].asnumpy())
                np.testing.assert_array_equal(g.label[0].asnumpy(), w.label[0].asnumpy())
                assert g.pad == w.pad
            pre.reset()
            plain.reset()
    finally:
        pre.close()


def test_prefetching_joins_several_iterators_and_renames():
    a = mx.io.NDArrayIter(np.arange(4), np.arange(4), batch_size=2)
    b = mx.io.NDArrayIter(np.arange(4) * 10, batch_size=2)
    pre = mx.io.PrefetchingIter([a, b], rename_data=[{"data": "a"}, {"data": "b"}])
    try:
        assert [d.name for d in pre.provide_data] == ["a", "b"]
        assert [d.name for d in pre.provide_label] == ["softmax_label"]
        batches = list(pre)
        assert [[x.asnumpy().tolist() for x in batch.data] for batch in batches] == [
            [[0, 1], [0, 10]], [[2, 3], [20, 30]]]
        assert batches[0].provide_data == pre.provide_data
    finally:
        pre.close()


def test_prefetching_mismatched_lengths_raise():
    pre = mx.io.PrefetchingIter([mx.io.NDArrayIter(np.arange(4), batch_size=2),
                                 mx.io.NDArrayIter(np.arange(6), batch_size=2)])
    try:
        next(pre)
        next(pre)
        with pytest.raises(MXNetError, match="numbers of batches"):
            next(pre)
    finally:
        pre.close()


def test_prefetching_errors_surface_in_next():
    class Failing(mx.io.NDArrayIter):
        def next(self):
            batch = super().next()
            if self.cursor >= 4:
                raise RuntimeError("broken source")
            return batch

    pre = mx.io.PrefetchingIter(Failing(np.arange(8), batch_size=2))
    try:
        assert next(pre).data[0].asnumpy().tolist() == [0, 1]
        assert next(pre).data[0].asnumpy().tolist() == [2, 3]
        with pytest.raises(RuntimeError, match="broken source"):
            next(pre)
    finally:
        pre.close()
    with pytest.raises(MXNetValueError, match="closed"):
        next(pre)


def test_prefetching_threads_stop_when_dropped():
    pre = mx.io.PrefetchingIter(mx.io.NDArrayIter(np.arange(4), batch_size=2))
    threads = [w.thread for w in pre._workers]
    assert all(thread.is_alive() for thread in threads)
    del pre
    gc.collect()
    for thread in threads:
        thread.join(timeout=5)
        assert not thread.is_alive()


def test_prefetching_does_not_hang_at_exit():
    code = ("import numpy as np, mxcore as mx\n"
            "it = mx.io.PrefetchingIter(mx.io.NDArrayIter(np.arange(100), batch_size=2))\n"
            "next(it)\n")
    done = subprocess.run([sys.executable, "-c", code], timeout=60, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


# -- CSVIter ---------------------------------------------------------------------------------------
def _write(path, rows):
    path.write_text("".join(",".join(str(v) for v in row) + "\n" for row in rows))
    return str(path)


def test_csv_round_trip(tmp_path):
    data = np.arange(24, dtype=np.float32).reshape(4, 2, 3)
    labels = np.array([[1, 2], [3, 4], [5, 6], [7, 8]], dtype=np.float32)
    data_csv = _write(tmp_path / "data.csv", data.reshape(4, 6))
    label_csv = _write(tmp_path / "label.csv", labels)
    it = mx.io.CSVIter(data_csv=data_csv, data_shape=(2, 3), label_csv=label_csv,
                       label_shape=(2,), batch_size=2)
    assert it.provide_data == [("data", (2, 2, 3))]
    assert it.provide_label == [("softmax_label", (2, 2))]
    batches = list(it)
    assert len(batches) == 2
    np.testing.assert_array_equal(np.concatenate([b.data[0].asnumpy() for b in batches]), data)
    np.testing.assert_array_equal(np.concatenate([b.label[0].asnumpy() for b in batches]),
                                  labels)
    assert batches[1].index.tolist() == [2, 3] and batches[0].data[0].dtype == np.float32


def test_csv_default_labels_are_zeros_of_batch_shape(tmp_path):
    path = _write(tmp_path / "d.csv", [[1, 2], [3, 4]])
    it = mx.io.CSVIter(data_csv=path, data_shape=(2,), batch_size=2, dtype="int64")
    assert it.provide_label == [("softmax_label", (2,))]
    batch = next(it)
    assert batch.label[0].asnumpy().tolist() == [0, 0]
    assert batch.data[0].dtype == np.int64


def test_csv_round_batch_wraps_and_skips_the_next_reset(tmp_path):
    path = _write(tmp_path / "d.csv", [[1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]])
    it = mx.io.CSVIter(data_csv=path, data_shape=(3,), batch_size=3)
    first = [(b.data[0].asnumpy()[:, 0].tolist(), b.pad) for b in it]
    assert first == [([1, 2, 3], 0), ([4, 1, 2], 2)]
    it.reset()  # ignored: the wrapped rows already began the second pass
    assert [(b.data[0].asnumpy()[:, 0].tolist(), b.pad) for b in it] == [([3, 4, 1], 1)]


def test_csv_without_round_batch_pads_with_the_previous_rows(tmp_path):
    path = _write(tmp_path / "d.csv", [[1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]])
    it = mx.io.CSVIter(data_csv=path, data_shape=(3,), batch_size=3, round_batch=False)
    for _ in range(2):
        got = [(b.data[0].asnumpy()[:, 0].tolist(), b.pad) for b in it]
        assert got == [([1, 2, 3], 0), ([4, 2, 3], 2)]
        it.reset()


def test_csv_reads_a_directory_in_name_order(tmp_path):
    _write(tmp_path / "b.csv", [[3, 3]])
    _write(tmp_path / "a.csv", [[1, 1], [2, 2]])
    it = mx.io.CSVIter(data_csv=str(tmp_path), data_shape=(2,), batch_size=3)
    assert next(it).data[0].asnumpy()[:, 0].tolist() == [1, 2, 3]


def test_csv_bad_files_name_the_file_and_line(tmp_path):
    bad_value = tmp_path / "bad.csv"
    bad_value.write_text("1,2\n\n3,oops\n")
    with pytest.raises(MXNetValueError, match=r"bad\.csv, line 3: cannot parse"):
        mx.io.CSVIter(data_csv=str(bad_value), data_shape=(2,), batch_size=1)
    short_row = tmp_path / "short.csv"
    short_row.write_text("1,2\n3\n")
    with pytest.raises(MXNetValueError, match=r"short\.csv, line 2: the row has 1 values"):
        mx.io.CSVIter(data_csv=str(short_row), data_shape=(2,), batch_size=1)
    good = _write(tmp_path / "good.csv", [[1, 2], [3, 4]])
    few_labels = _write(tmp_path / "labels.csv", [[1]])
    with pytest.raises(MXNetValueError, match="fewer than"):
        mx.io.CSVIter(data_csv=good, data_shape=(2,), label_csv=few_labels, batch_size=1)
    with pytest.raises(MXNetValueError, match="no such file"):
        mx.io.CSVIter(data_csv=str(tmp_path / "missing.csv"), data_shape=(2,), batch_size=1)
    with pytest.raises(MXNetValueError, match="batch_size"):
        mx.io.CSVIter(data_csv=good, data_shape=(2,))
    with pytest.raises(MXNetValueError, match="at least"):
        list(mx.io.CSVIter(data_csv=good, data_shape=(2,), batch_size=5))
