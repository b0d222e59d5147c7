"""Processes the harness starts, and what /proc says about them.

Every process is started in its own session (so its workers can be signalled as a group),
pinned to one CPU with taskset, and registered; stop_all() ends them all, newest first.
CPU and memory are read for the whole process tree: nginx serves from a worker that is a
child of its master, and Gatehouse's runtime threads are counted in the process itself.
"""

import os
import signal
import subprocess
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Processes:
    """The processes this run started; stop_all() is called from a finally block.

    Their process groups are also written to `ledger`, so that a run killed with SIGKILL
    (which no trap sees) has its leftovers stopped by the next run.
    """

    def __init__(self, ledger):
        self._started = []
        self._ledger = ledger
        _reap_leftovers(ledger)

    def start(self, name, argv, cpu, log_path, env=None):
        """Starts argv pinned to `cpu`, output to log_path; returns the Popen."""
        log = open(log_path, "ab")
        command = ["taskset", "-c", str(cpu), *argv]
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        log.close()
        self._started.append((name, proc))
        self._write_ledger()
        return proc

    def stop(self, proc, grace=5.0):
        """SIGTERM to the process group, SIGKILL after `grace` seconds."""
        if proc.poll() is not None:
            return
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(timeout=5)
        self._started = [(n, p) for n, p in self._started if p is not proc]
        self._write_ledger()

    def stop_all(self):
        """Stops everything still running, newest first."""
        for _, proc in reversed(list(self._started)):
            try:
                self.stop(proc, grace=3.0)
            except (OSError, subprocess.SubprocessError):
                _signal_group(proc, signal.SIGKILL)
        self._started = []
        self._write_ledger()

    def _write_ledger(self):
        self._ledger.parent.mkdir(parents=True, exist_ok=True)
        self._ledger.write_text("".join(f"{p.pid} {_start_time(p.pid)}\n" for _, p in self._started))


def _start_time(pid):
    """The process's start time in clock ticks since boot: with the pid, it names the process
    uniquely, so a recycled pid is never mistaken for one of ours."""
    fields = _stat_fields(pid)
    return fields[19] if fields else "0"


def _reap_leftovers(ledger):
    """Stops the process groups a previous, killed run left behind."""
    try:
        entries = [line.split() for line in ledger.read_text().splitlines() if line.strip()]
    except OSError:
        return
    for pid, started in entries:
        if _start_time(pid) == started and started != "0":
            print(f"!! stopping process group {pid} left by an earlier run")
            try:
                os.killpg(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
    ledger.unlink(missing_ok=True)


def _signal_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def tree(root):
    """The pids of `root` and all its descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat_fields(entry)
            if stat:
                children.setdefault(int(stat[1]), []).append(int(entry))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def _stat_fields(pid):
    """Fields of /proc/PID/stat after the command name (state is [0], ppid [1])."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(root):
    """utime + stime, children's included, summed over the process tree."""
    return sum(cpu_split(root))


def cpu_split(root):
    """(user, kernel) seconds, children's included, summed over the process tree: the split
    tells work in the server's own code from work it causes in the kernel (TCP, epoll)."""
    user = kernel = 0
    for pid in tree(root):
        fields = _stat_fields(pid)
        if fields:
            # utime, stime, cutime, cstime are fields 14-17 of stat, [11:15] here.
            utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
            user += utime + cutime
            kernel += stime + cstime
    return user / CLOCK_TICKS, kernel / CLOCK_TICKS


def page_faults(root):
    """Minor and major page faults, children's included, summed over the process tree: memory
    an allocator gives back to the kernel and takes again shows up here as kernel time."""
    faults = 0
    for pid in tree(root):
        fields = _stat_fields(pid)
        if fields:
            # minflt, cminflt, majflt, cmajflt are fields 10-13 of stat, [7:11] here.
            faults += sum(int(v) for v in fields[7:11])
    return faults


def _status_kib(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kib(root):
    """Resident memory of the tree now."""
    return sum(_status_kib(pid, "VmRSS") for pid in tree(root))


def peak_rss_kib(root):
    """Peak resident memory (VmHWM) summed over the tree, since the last reset_peak."""
    return sum(_status_kib(pid, "VmHWM") for pid in tree(root))


def reset_peak(root):
    """Resets VmHWM to the current RSS (Linux clear_refs value 5); False if not allowed."""
    ok = True
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            ok = False
    return ok


def open_fds(root):
    """Open file descriptors over the tree (connections held show up here)."""
    total = 0
    for pid in tree(root):
        try:
            total += len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            pass
    return total


def wait_for_port(port, proc, timeout=30.0):
    """Waits until something accepts on 127.0.0.1:port; fails if `proc` exits first."""
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with status {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")

