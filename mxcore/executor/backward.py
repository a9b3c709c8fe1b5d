"""Compiled backward for an executor: the ops of the first tape backward, replayed.

An executor's graph, shapes and dtypes are fixed, so the ops its gradient functions invoke
are the same on every step. The first backward runs on the autograd tape with a capture hook
(``ndarray.invoke.CAPTURE``) recording each kernel call: its kernel, attrs and which values
it reads (forward slots, head gradients or earlier results). Later steps replay that list on
backend arrays — no gradient functions, no tape, no dispatch — and drop every value,
forward activations included, right after its last use.

Capture is conservative: it is abandoned (the executor stays on the tape) when a gradient
reads an array it cannot name, writes in place, reads values to the host (control flow),
uses random numbers, the training flag, or ``out=``, or when the engine is asynchronous.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..ndarray.ndarray import NDArray
from . import planner

__all__ = ["Capture", "BackwardPlan"]


class _RStep:
    __slots__ = ("kernel", "kwargs", "ins", "outs", "multi", "copy", "name")

    def __init__(self, kernel: Any, kwargs: dict, ins: Tuple[int, ...], outs: Tuple[int, ...],
                 multi: bool, copy: Any, name: str):
        self.kernel = kernel
        self.kwargs = kwargs
        self.ins = ins
        self.outs = outs
        self.multi = multi
        self.copy = copy
        self.name = name


class Capture:
    """Records the kernel calls of one backward pass (installed as ``CAPTURE.rec``)."""

    def __init__(self, slot_data: Sequence[Any], head_data: Sequence[Any]):
        self._ref: Dict[int, int] = {}
        self._alive: List[Any] = []  # keeps captured arrays alive, so their ids stay unique
        self.steps: List[_RStep] = []
        self.info: List[Optional[Tuple[Tuple[int, ...], Any]]] = []
        self.error: Optional[str] = None
        self.n_slots = len(slot_data)
        self.n_heads = len(head_data)
        for data in slot_data:
            self._add(data, first=True)
        for data in head_data:
            self._add(data, first=False)

    def _add(self, data: Any, first: bool) -> int:
        ref = len(self.info)
        if data is None:
            self.info.append(None)
            return ref
        self.info.append((tuple(data.shape), data.dtype))
        if first:
            self._ref.setdefault(id(data), ref)
        else:
            self._ref[id(data)] = ref
        self._alive.append(data)
        return ref

    def fail(self, why: str) -> None:
        if self.error is None:
            self.error = why

    def ref_of(self, array: Any) -> Optional[int]:
        if type(array) is not NDArray:
            return None
        return self._ref.get(id(array._data))

    def call(self, op: Any, kernel: Any, kwargs: dict, inputs: Sequence[Any],
             outputs: Sequence[Any], n_out: int, out: Any) -> None:
        """One kernel call made by dispatch (``invoke`` or the arithmetic fast path)."""
        if self.error is not None:
            return
        if out is not None or op.mutates or op.uses_rng or op.uses_train_flag:
            self.fail(f"{op.name}: out=, in-place, random or mode-dependent op")
            return
        ins = []
        for x in inputs:
            ref = self.ref_of(x)
            if ref is None:
                self.fail(f"{op.name} reads an array made outside the captured ops")
                return
            ins.append(ref)
        outs = tuple(self._add(o._data, first=False) for o in outputs)
        copy = outputs[0]._ctx.backend.kernels["copy"] if op.may_alias and outputs else None
        self.steps.append(_RStep(kernel, kwargs, tuple(ins), outs, n_out != 1, copy, op.name))

    def finish(self, leaf_grads: Sequence[Tuple[int, Any]]) -> Optional["BackwardPlan"]:
        """The plan, given (argument position, final gradient NDArray) per leaf."""
        if self.error is not None:
            return None
        leaves = []
        for pos, g in leaf_grads:
            ref = self.ref_of(g)
            if ref is None:
                self.fail("a gradient was made outside the captured ops")
                return None
            leaves.append((pos, ref))
        plan = BackwardPlan(self.steps, len(self.info), self.n_slots, self.n_heads, leaves,
                            self.info)
        self._alive = []
        self._ref = {}
        return plan


class BackwardPlan:
    """The captured backward: steps on integer refs, their release lists, and the leaves."""

    def __init__(self, steps: List[_RStep], n_refs: int, n_slots: int, n_heads: int,
                 leaves: List[Tuple[int, int]], info: List[Any]):
        self.steps = steps
        self.n_refs = n_refs
        self.n_slots = n_slots
        self.n_heads = n_heads
        #: (argument position, ref of its final gradient)
        self.leaves = leaves
        #: per ref (shape, dtype) seen at capture
        self.info = info
        fixed = n_slots + n_heads
        #: forward slots and head gradients stay (backward may run again); results die at
        #: their last use, gradients are handed over as soon as they are final
        self.release = planner.release_lists([s.ins for s in steps], [s.outs for s in steps],
                                             n_refs, [], set(range(fixed)))
        producer = {ref: k for k, s in enumerate(steps) for ref in s.outs}
        self.leaves_before = [(pos, ref) for pos, ref in leaves if ref not in producer]
        self.leaves_after: List[List[Tuple[int, int]]] = [[] for _ in steps]
        for pos, ref in leaves:
            if ref in producer:
                self.leaves_after[producer[ref]].append((pos, ref))
        #: forward slots the backward reads (the forward must keep them)
        self.needed_slots = sorted({r for s in steps for r in s.ins if r < n_slots}
                                   | {r for _, r in leaves if r < n_slots})

    def run(self, vals: List[Any], head_data: Sequence[Any],
            sink: Callable[[int, Any], None]) -> None:
        """Replay on ``vals`` (the forward slots) and the head gradients.

        ``sink(argument position, backend gradient)`` receives each leaf's gradient as soon
        as it is final.
        """
        vals.extend(head_data)
        vals.extend([None] * (self.n_refs - len(vals)))
        for pos, ref in self.leaves_before:
            sink(pos, vals[ref])
        for step, release, leaves in zip(self.steps, self.release, self.leaves_after):
            result = step.kernel(*[vals[i] for i in step.ins], **step.kwargs)
            if step.multi:
                results = list(result)
                if step.copy is not None:
                    results = [step.copy(r) for r in results]
                for ref, r in zip(step.outs, results):
                    vals[ref] = r
            else:
                vals[step.outs[0]] = result if step.copy is None else step.copy(result)
            for pos, ref in leaves:
                sink(pos, vals[ref])
            for ref in release:
                vals[ref] = None

    def ref_bytes(self, ref: int) -> int:
        from .program import _itemsize

        entry = self.info[ref]
        if entry is None:
            return 0
        n = 1
        for d in entry[0]:
            n *= int(d)
        return n * _itemsize(entry[1])

    def graph(self) -> Tuple[List[Tuple[int, ...]], List[Tuple[int, ...]], List[int], List[int]]:
        """(ins per step, outs per step, head refs, bytes per ref from ``n_slots`` on): the
        backward graph in the forward program's slot numbering, for the memory planner."""
        heads = list(range(self.n_slots, self.n_slots + self.n_heads))
        sizes = [self.ref_bytes(r) for r in range(self.n_slots, self.n_refs)]
        return [s.ins for s in self.steps], [s.outs for s in self.steps], heads, sizes

    def live_peak_bytes(self, start: int) -> int:
        """Peak bytes of backward results alive during a replay, on top of ``start``.

        Head gradients are counted; a gradient lives until it is handed over.
        """
        fixed = self.n_slots + self.n_heads
        live = start + sum(self.ref_bytes(self.n_slots + h) for h in range(self.n_heads))
        peak = live
        for step, release in zip(self.steps, self.release):
            live += sum(self.ref_bytes(r) for r in step.outs)
            peak = max(peak, live)
            live -= sum(self.ref_bytes(r) for r in release if r >= fixed)
        return peak
