"""Memory planning over an executor's flat step list.

A graph compiled for execution is a list of steps; step ``k`` reads the value slots
``ins[k]`` and writes ``outs[k]``. Slots that are never written by a step (arguments and
auxiliary states) are *external*: they belong to the caller and are never planned.

The planner answers three questions:

* **lifetimes** — the last step that reads each slot (:func:`last_uses`), and which slots a
  runner may drop after each step (:func:`release_lists`);
* **inference plan** — a buffer per intermediate value where a buffer freed by an earlier
  value is reused by a later one of no larger size, and an element-wise step may write in
  place over an input whose last use it is (:func:`plan_inference`);
* **training plan** — once the backward graph is known (the executor captures it on its
  first backward), the forward steps and the backward steps are planned as one sequence:
  an activation lives until its last reader, forward or backward, and gradient buffers reuse
  the memory of activations that died (:func:`plan_forward_backward`). Before that, a
  static estimate keeps every forward activation alive for the backward pass and plans only
  the gradient buffers of the reverse sweep (:func:`plan_training`).

Sizes are in bytes. Everything here is pure bookkeeping on integers: no arrays.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple

__all__ = ["MemoryPlan", "last_uses", "release_lists", "plan_inference", "plan_training",
           "plan_forward_backward"]

#: last-use marker for slots that must outlive the run (graph outputs)
KEEP = 1 << 60


@dataclass
class MemoryPlan:
    """A buffer assignment and its byte counts."""

    #: bytes if every value had its own buffer
    naive_bytes: int
    #: bytes of the planned buffers (shared buffers counted once)
    planned_bytes: int
    #: the largest number of bytes alive at one moment (a lower bound for any plan)
    peak_live_bytes: int
    #: number of planned buffers
    num_buffers: int
    #: values written in place over an input
    num_inplace: int
    #: slot -> buffer index (intermediates only)
    assignment: Dict[int, int] = field(default_factory=dict)
    #: buffer index -> size in bytes
    buffer_bytes: List[int] = field(default_factory=list)

    def as_dict(self) -> Dict[str, int]:
        return {"naive_bytes": self.naive_bytes, "planned_bytes": self.planned_bytes,
                "peak_live_bytes": self.peak_live_bytes, "num_buffers": self.num_buffers,
                "num_inplace": self.num_inplace}


def last_uses(ins: Sequence[Sequence[int]], n_slots: int, keep: Sequence[int]) -> List[int]:
    """Per slot, the index of the last step reading it (-1: never read; KEEP: kept)."""
    last = [-1] * n_slots
    for k, slots in enumerate(ins):
        for s in slots:
            last[s] = k
    for s in keep:
        last[s] = KEEP
    return last


def release_lists(ins: Sequence[Sequence[int]], outs: Sequence[Sequence[int]], n_slots: int,
                  keep: Sequence[int], external: Set[int]) -> List[Tuple[int, ...]]:
    """Per step, the slots a runner may drop after it (last read there, or never read)."""
    last = last_uses(ins, n_slots, keep)
    release: List[List[int]] = [[] for _ in ins]
    for k, (step_ins, step_outs) in enumerate(zip(ins, outs)):
        for s in step_outs:
            if last[s] == -1:
                release[k].append(s)
        for s in dict.fromkeys(step_ins):
            if last[s] == k and s not in external:
                release[k].append(s)
    return [tuple(r) for r in release]


class _Pool:
    """Free buffers by size; best fit (the smallest free buffer that is large enough)."""

    def __init__(self) -> None:
        self.sizes: List[int] = []
        self.free: List[Tuple[int, int]] = []  # sorted (bytes, buffer index)

    def take(self, nbytes: int) -> int:
        pos = bisect.bisect_left(self.free, (nbytes, -1))
        if pos < len(self.free):
            return self.free.pop(pos)[1]
        self.sizes.append(nbytes)
        return len(self.sizes) - 1

    def give(self, buf: int) -> None:
        bisect.insort(self.free, (self.sizes[buf], buf))


def plan_inference(ins: Sequence[Sequence[int]], outs: Sequence[Sequence[int]],
                   slot_bytes: Sequence[int], keep: Sequence[int], external: Set[int],
                   inplace: Sequence[bool]) -> MemoryPlan:
    """Plan buffers for one forward pass whose intermediates die at their last use.

    ``inplace[k]`` says step ``k`` is element-wise: its first output may take over the
    buffer of an input of the same size whose last use is step ``k``.
    """
    n_slots = len(slot_bytes)
    last = last_uses(ins, n_slots, keep)
    pool = _Pool()
    assignment: Dict[int, int] = {}
    n_inplace = 0
    live = peak = naive = 0
    for k, (step_ins, step_outs) in enumerate(zip(ins, outs)):
        taken: Optional[int] = None
        if inplace[k] and step_outs:
            out0 = step_outs[0]
            for s in step_ins:
                if (s not in external and last[s] == k and s in assignment
                        and slot_bytes[s] == slot_bytes[out0] and step_ins.count(s) == 1):
                    taken = s
                    break
        for j, s in enumerate(step_outs):
            naive += slot_bytes[s]
            if j == 0 and taken is not None:
                assignment[s] = assignment[taken]
                n_inplace += 1
            else:
                assignment[s] = pool.take(slot_bytes[s])
                live += slot_bytes[s]
        peak = max(peak, live)
        for s in step_outs:
            if last[s] == -1:
                live -= slot_bytes[s]
                pool.give(assignment[s])
        for s in dict.fromkeys(step_ins):
            if s in external or last[s] != k or s not in assignment:
                continue
            if s == taken:
                continue  # its buffer lives on as the output
            live -= slot_bytes[s]
            pool.give(assignment[s])
    planned = sum(pool.sizes)
    return MemoryPlan(naive, planned, peak, len(pool.sizes), n_inplace, assignment,
                      list(pool.sizes))


def plan_training(ins: Sequence[Sequence[int]], outs: Sequence[Sequence[int]],
                  slot_bytes: Sequence[int], keep: Sequence[int], external: Set[int],
                  grad_slots: Set[int]) -> MemoryPlan:
    """Plan a training step: forward activations, then the gradient buffers of backward.

    The recorded graph keeps every activation until backward, so they are counted in full.
    In the reverse sweep the gradient of a value is born at the backward of its last reader
    and dies at the backward of the step that produced it; gradients of arguments in
    ``grad_slots`` live to the end of the sweep. Gradient buffers are shared best-fit.
    ``naive_bytes`` gives every activation and every gradient its own buffer.
    """
    activations = sum(slot_bytes[s] for step_outs in outs for s in step_outs)
    pool = _Pool()
    assignment: Dict[int, int] = {}
    naive_grads = 0
    live = peak = 0
    heads = [s for s in keep if s not in external]
    for s in dict.fromkeys(heads):
        assignment[s] = pool.take(slot_bytes[s])
        naive_grads += slot_bytes[s]
        live += slot_bytes[s]
    peak = live
    for k in range(len(ins) - 1, -1, -1):
        for s in dict.fromkeys(ins[k]):
            if s in assignment:
                continue  # accumulates into the existing buffer
            if s in external and s not in grad_slots:
                continue
            assignment[s] = pool.take(slot_bytes[s])
            naive_grads += slot_bytes[s]
            live += slot_bytes[s]
        peak = max(peak, live)
        for s in outs[k]:  # this step's output gradients are consumed
            if s in assignment:
                live -= slot_bytes[s]
                pool.give(assignment[s])
    planned = activations + sum(pool.sizes)
    return MemoryPlan(activations + naive_grads, planned, activations + peak,
                      len(pool.sizes), 0, assignment, list(pool.sizes))


def plan_forward_backward(fwd_ins: Sequence[Sequence[int]], fwd_outs: Sequence[Sequence[int]],
                          fwd_inplace: Sequence[bool], bwd_ins: Sequence[Sequence[int]],
                          bwd_outs: Sequence[Sequence[int]], head_slots: Sequence[int],
                          slot_bytes: Sequence[int], keep: Sequence[int],
                          external: Set[int]) -> MemoryPlan:
    """Plan a training step: the forward steps, then the backward graph's steps.

    Slots are numbered over both passes: the backward steps read forward slots by their
    number, ``head_slots`` (the head gradients) are born when backward starts. A value dies
    at its last reader in either pass, so an activation that backward does not read is freed
    in the forward pass and its memory reused; slots in ``keep`` (graph outputs, and the
    activations an executor retains so that backward may run again) live to the end.
    ``naive_bytes`` gives every value of both passes its own buffer, as a graph run without
    a planner would.
    """
    ins = list(fwd_ins) + [()] + list(bwd_ins)
    outs = list(fwd_outs) + [tuple(head_slots)] + list(bwd_outs)
    inplace = list(fwd_inplace) + [False] * (1 + len(bwd_ins))
    return plan_inference(ins, outs, slot_bytes, keep, external, inplace)
