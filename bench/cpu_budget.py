"""A fixed CPU budget for a benchmark's server process: a cgroup with a CFS quota.

Why: on a 2-core machine the load generator, PostgreSQL, Redis and the sidecars share the
cores, so "two sidecars vs one" measures the machine, not the sidecars. Giving each sidecar
the same budget (say 0.3 of a core) makes each process what runs out first, as it is on a
deployment where every sidecar has cores of its own; the rest of the machine is left to the
clients and databases. The period is 10 ms, not the kernel's 100 ms, so a process that has
spent its quota waits at most ~7 ms for the next slice instead of ~70 ms.

cgroup v2 (`cpu.max`) or v1 (`cpu/cpu.cfs_quota_us`), whichever the machine mounts; needs
write access to /sys/fs/cgroup (root, or a delegated subtree), else `Unavailable`.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 10_000


class Unavailable(RuntimeError):
    """No writable cgroup CPU controller here."""


class CpuBudget:
    """One cgroup of `cores` CPUs (0.3 = 30 % of one core), for any number of processes."""

    def __init__(self, cores: float, name: str = "") -> None:
        self.cores = cores
        self.path = self._make(name or f"hc-bench-{uuid.uuid4().hex[:8]}")

    def _make(self, name: str) -> Path:
        quota = max(1000, int(self.cores * PERIOD_US))
        try:
            if (ROOT / "cgroup.controllers").exists():  # v2
                with contextlib.suppress(OSError):  # already enabled, or not ours to enable
                    (ROOT / "cgroup.subtree_control").write_text("+cpu")
                path = ROOT / name
                path.mkdir()
                (path / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            else:  # v1
                path = ROOT / "cpu" / name
                path.mkdir()
                (path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                (path / "cpu.cfs_quota_us").write_text(str(quota))
        except OSError as exc:
            raise Unavailable(f"cannot make a CPU-limited cgroup under {ROOT}: {exc}") from exc
        return path

    def add(self, pid: int) -> None:
        """The process and every thread it has or starts (cgroup.procs moves all threads)."""
        (self.path / "cgroup.procs").write_text(str(pid))

    def throttled_seconds(self) -> float:
        """Time the group waited for its next slice: how often the budget was the limit."""
        for line in (self.path / "cpu.stat").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "throttled_usec":
                return int(value) / 1e6
            if key == "throttled_time":  # v1, in ns
                return int(value) / 1e9
        return 0.0

    def remove(self) -> None:
        """After the processes have exited (a cgroup with members cannot be removed)."""
        with contextlib.suppress(OSError):
            self.path.rmdir()
