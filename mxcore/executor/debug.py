"""``Executor.debug_str``: the compiled steps in MXNet's layout, then the memory plan."""

from __future__ import annotations

from typing import Any, Dict, List

__all__ = ["describe"]


def describe(exe: Any) -> str:
    program = exe._program
    names = _slot_names(program)
    lines: List[str] = ["Symbol Outputs:"]
    for i, slot in enumerate(program.out_slots):
        lines.append(f"\toutput[{i}]={names[slot]}")
    for slot in program.arg_slots + program.aux_slots:
        lines.append(f"Variable:{program.var_names[slot]}")
    for step in program.steps:
        lines.append("--------------------")
        lines.append(f"Op:{step.op.name}, Name={step.name}")
        lines.append("Inputs:")
        for i, slot in enumerate(step.ins):
            lines.append(f"\targ[{i}]={names[slot]} version=0")
        changed = step.str_attrs or {k: v for k, v in step.attrs.items()
                                     if k not in step.op.defaults or step.op.defaults[k] != v}
        if changed:
            lines.append("Attrs:")
            lines.extend(f"\t{k}={v}" for k, v in changed.items())
        released = ", ".join(names[s] for s in step.release)
        lines.append(f"Slots: in {list(step.ins)} -> out {list(step.outs)}"
                     + (f"; frees {released}" if released else ""))
        if step.storage:
            lines.append("Dispatch: by storage type (sparse kernel or dense fallback)")
    stats = exe.memory_stats()
    for mode in ("inference", "training"):
        plan = stats[mode]
        lines.append(
            f"Memory plan ({mode}): naive {_mb(plan['naive_bytes'])}, planned "
            f"{_mb(plan['planned_bytes'])} in {plan['num_buffers']} buffers "
            f"({plan['num_inplace']} in place), peak live {_mb(plan['peak_live_bytes'])}")
    bound = stats["arg_bytes"] + stats["grad_bytes"] + stats["aux_bytes"]
    lines.append(f"Total {bound / 2 ** 20:.0f} MB allocated")
    return "\n".join(lines)


def _slot_names(program: Any) -> Dict[int, str]:
    names: Dict[int, str] = {s: f"{n}(0)" for s, n in program.var_names.items()}
    for step in program.steps:
        for j, slot in enumerate(step.outs):
            names[slot] = f"{step.name}({j})"
    return names


def _mb(nbytes: int) -> str:
    for unit, scale in (("MB", 2 ** 20), ("KB", 2 ** 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit} ({nbytes} bytes)"
    return f"{nbytes} bytes"
