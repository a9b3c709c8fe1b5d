"""Write MXNet-exported recurrent layers into ``mxnet_models/`` with inputs and outputs.

Run it with a real MXNet 1.9.1 (not mxcore), e.g.::

    /tmp/mxvenv/bin/python tests/data/make_mxnet_rnn_fixture.py

It writes ``lstm-symbol.json``/``lstm-0000.params`` (a hybridized two-layer bidirectional
LSTM, layout NTC) and ``gru-symbol.json``/``gru-0000.params`` (a two-layer GRU, layout TNC),
each exported by ``HybridBlock.export`` after one forward, with ``<name>-input.npy`` and
``<name>-output.npy``. A top-level recurrent layer exports its zero initial states as extra
inputs ``data1`` (and ``data2`` for the LSTM cell state) beside the data ``data0``.

MXNet's fused CPU RNN kernel needs oneDNN here: with ``MXNET_MKLDNN_ENABLED=0`` MXNet 1.9.1
fails its own input-count check, so this script leaves oneDNN on (unlike the CNN fixtures).
"""

from __future__ import annotations

import os

import mxnet as mx
import numpy as np
from mxnet.gluon import rnn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mxnet_models")

LAYERS = {
    "lstm": lambda: rnn.LSTM(5, num_layers=2, bidirectional=True, layout="NTC", prefix="lstm_"),
    "gru": lambda: rnn.GRU(4, num_layers=2, prefix="gru_"),
}


def main() -> None:
    for name, make in LAYERS.items():
        mx.random.seed(3)
        net = make()
        net.initialize(mx.init.Uniform(0.4))
        net.hybridize()
        x = mx.nd.array(np.random.RandomState(0).uniform(-1, 1, (2, 6, 3)).astype("float32"))
        y = net(x)
        net.export(os.path.join(OUT, name), 0)
        np.save(os.path.join(OUT, f"{name}-input.npy"), x.asnumpy())
        np.save(os.path.join(OUT, f"{name}-output.npy"), y.asnumpy())
        print(name, y.shape)


if __name__ == "__main__":
    main()
