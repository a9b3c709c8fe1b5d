"""``mxcore-launch`` command lines, and sharding data by rank (NDArrayIter parts,
gluon SplitSampler)."""

import sys

import numpy as np
import pytest

import mxcore as mx
from mxcore import launch
from mxcore.base import MXNetTypeError, MXNetValueError
from mxcore.gluon.data import DataLoader, SplitSampler
from mxcore.gluon.data.dataset import ArrayDataset


def _command(argv):
    return launch.build_command(launch._parser().parse_args(argv))


def test_launch_command_workers_servers_hosts():
    cmd = _command(["-n", "4", "-s", "2", "-H", "a:2,b:4", "--mpiexec", "/x/mpiexec",
                    "--timeout", "30", "train.py", "--epochs", "3"])
    assert cmd[:3] == ["/x/mpiexec", "-n", "6"]
    assert cmd[cmd.index("-hosts") + 1] == "a:2,b:4"
    joined = " ".join(cmd)
    assert "-env MXNET_KVSTORE_NUM_SERVER 2" in joined
    assert "-env DMLC_NUM_SERVER 2" in joined
    assert "-env MXNET_KVSTORE_TIMEOUT 30.0" in joined
    assert cmd[-4:] == [sys.executable, "train.py", "--epochs", "3"]


def test_launch_hostfile_module_and_program():
    cmd = _command(["-n", "2", "--hostfile", "hosts", "--mpiexec", "m", "--", "-m",
                    "pkg.train"])
    assert cmd[cmd.index("-f") + 1] == "hosts"
    assert cmd[-3:] == [sys.executable, "-m", "pkg.train"]
    assert _command(["-n", "2", "--mpiexec", "m", "hostname"])[-1] == "hostname"


def test_launch_dry_run_and_errors(capsys):
    assert launch.main(["-n", "2", "--mpiexec", "mpx", "--dry-run", "t.py"]) == 0
    assert capsys.readouterr().out.startswith("mpx -n 2 ")
    with pytest.raises(SystemExit, match="no program"):
        launch.main(["-n", "2", "--mpiexec", "m"])
    with pytest.raises(SystemExit, match="-n >= 1"):
        launch.main(["-n", "0", "--mpiexec", "m", "t.py"])


def test_find_mpiexec_prefers_explicit():
    assert launch.find_mpiexec("/opt/mpi/bin/mpiexec") == "/opt/mpi/bin/mpiexec"


def test_ndarray_iter_parts_cover_equal_shards():
    x = np.arange(11, dtype=np.float32)
    seen = []
    for part in range(3):
        it = mx.io.NDArrayIter(x, x, batch_size=2, num_parts=3, part_index=part,
                               last_batch_handle="discard")
        batches = [b.data[0].asnumpy().tolist() for b in it]
        assert len(batches) == 1  # 3 samples per part: one full batch of 2
        labels = [b.label[0].asnumpy().tolist() for b in it]
        assert labels == [] or labels == batches
        seen.append(batches)
    assert seen == [[[0, 1]], [[3, 4]], [[6, 7]]]


@pytest.mark.parametrize("kwargs, exc", [({"num_parts": 0}, MXNetValueError),
                                         ({"num_parts": 2, "part_index": 2}, MXNetValueError),
                                         ({"num_parts": 2.0}, MXNetTypeError),
                                         ({"num_parts": 20}, MXNetValueError)])
def test_ndarray_iter_bad_parts(kwargs, exc):
    with pytest.raises(exc):
        mx.io.NDArrayIter(np.zeros((10, 2)), batch_size=2, **kwargs)


def test_split_sampler_shards_and_shuffles_within_the_part():
    parts = [list(SplitSampler(10, num_parts=3, part_index=i, shuffle=False))
             for i in range(3)]
    assert parts == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    mx.random.seed(1)
    shuffled = list(SplitSampler(100, num_parts=2, part_index=1))
    assert sorted(shuffled) == list(range(50, 100)) and shuffled != sorted(shuffled)
    assert len(SplitSampler(10, 3, 1)) == 3
    with pytest.raises(MXNetValueError):
        SplitSampler(10, num_parts=2, part_index=-1)


def test_split_sampler_in_a_data_loader():
    data = ArrayDataset(np.arange(8, dtype=np.float32))
    loader = DataLoader(data, batch_size=2, sampler=SplitSampler(8, 2, 1, shuffle=False))
    assert [b.asnumpy().tolist() for b in loader] == [[4, 5], [6, 7]]
