"""``mxcore-launch`` / ``python -m mxcore.launch``: start a distributed job through mpiexec.

    mxcore-launch -n 4 train.py --epochs 3              # 4 workers (dist_sync)
    mxcore-launch -n 4 -s 2 train.py                    # 4 workers + 2 servers (dist_async)
    mxcore-launch -n 8 -H host1:4,host2:4 train.py      # across machines
    mxcore-launch -n 8 --hostfile hosts train.py
    mxcore-launch -n 2 -- -m mypkg.train                # a module (after --)
    mxcore-launch -n 2 --dry-run train.py               # print the mpiexec command

It finds ``mpiexec`` next to the running Python (the ``mpich`` wheel installs it there) or on
PATH (or ``--mpiexec``), sets ``MXNET_KVSTORE_NUM_SERVER`` for every rank, runs the program
with this Python, and turns a failed job into a one-line error naming the exit status. On a
Slurm cluster use ``srun -n 8 python train.py`` instead (mpi4py picks up Slurm's PMI).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from typing import List, Optional, Sequence

__all__ = ["find_mpiexec", "build_command", "main"]


def find_mpiexec(explicit: Optional[str] = None) -> str:
    """The mpiexec to use: ``explicit``, the one beside ``sys.executable``, or PATH's."""
    if explicit:
        return explicit
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("mpiexec") or shutil.which("mpirun")
    if found is None:
        raise SystemExit("mxcore-launch: mpiexec not found; install an MPI (`pip install "
                         "mpi4py mpich`) or pass --mpiexec PATH")
    return found


def build_command(args: argparse.Namespace) -> List[str]:
    """The mpiexec command line for parsed ``args``."""
    total = args.num_workers + args.num_servers
    cmd = [find_mpiexec(args.mpiexec), "-n", str(total)]
    if args.hosts:
        cmd += ["-hosts", args.hosts]
    if args.hostfile:
        cmd += ["-f", args.hostfile]
    for name in ("MXNET_KVSTORE_NUM_SERVER", "DMLC_NUM_SERVER"):
        cmd += ["-env", name, str(args.num_servers)]
    cmd += ["-env", "DMLC_NUM_WORKER", str(args.num_workers)]
    if args.timeout:
        cmd += ["-env", "MXNET_KVSTORE_TIMEOUT", str(args.timeout)]
    cmd += list(args.mpi_args or [])
    program = list(args.command)
    if program and program[0] == "--":
        program = program[1:]
    if program and program[0].endswith(".py"):
        program = [sys.executable] + program
    elif program and program[0] == "-m":
        program = [sys.executable] + program
    return cmd + program


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mxcore-launch",
                                description="Run a distributed mxcore job with mpiexec.")
    p.add_argument("-n", "--num-workers", type=int, required=True, help="worker processes")
    p.add_argument("-s", "--num-servers", type=int, default=0,
                   help="server processes for dist_async (the last ranks)")
    p.add_argument("-H", "--hosts", help="comma-separated hosts (host:slots)")
    p.add_argument("--hostfile", help="an MPI hosts file")
    p.add_argument("--mpiexec", help="the mpiexec to run (default: beside python, or PATH)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds a rank waits for the others before failing "
                        "(MXNET_KVSTORE_TIMEOUT)")
    p.add_argument("--mpi-args", nargs=argparse.ONE_OR_MORE, default=None,
                   help="extra arguments passed to mpiexec")
    p.add_argument("--dry-run", action="store_true", help="print the command only")
    p.add_argument("command", nargs=argparse.REMAINDER,
                   help="script.py [args] (run with this Python) or a program")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    if args.num_workers < 1 or args.num_servers < 0:
        raise SystemExit("mxcore-launch: need -n >= 1 workers and -s >= 0 servers")
    if not args.command or args.command == ["--"]:
        raise SystemExit("mxcore-launch: no program given")
    cmd = build_command(args)
    if args.dry_run:
        print(" ".join(cmd))
        return 0
    proc = subprocess.Popen(cmd)
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        code = proc.wait()
    if code != 0:
        reason = f"signal {-code}" if code < 0 else f"exit status {code}"
        print(f"mxcore-launch: the job failed ({reason}); a rank stopped with an error or was "
              "killed, and the others were stopped (see the messages above)", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
