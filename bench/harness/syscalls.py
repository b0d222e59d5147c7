"""bench/syscalls: system calls per keep-alive request, Gatehouse next to nginx.

Each server does the bench job (mTLS, thumbprint check, proxy to the upstream nginx over
keep-alive HTTP/1.1) on CPU 0 while gatehouse-loadgen sends a fixed number of keep-alive
requests; `strace -f -c` is attached to the server's process tree only for the measured
window (the load generator's connections are open by then, so no handshake is counted).
Kernel time is CPU the benchmark counts, and a system call is the unit of it that a server
controls. Counts are exact and do not depend on the machine's load; times under strace are not
meaningful and are left out.
"""

import argparse
import signal
import subprocess

from . import checks, procs, scenarios, servers
from .main import OUT, guarded, prepare_single


def parse(argv):
    parser = argparse.ArgumentParser(prog="bench/syscalls", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="measured requests (default 2000)")
    parser.add_argument("--http2", action="store_true", help="HTTP/2 instead of HTTP/1.1")
    parser.add_argument("--servers", default="gatehouse,nginx", help="comma-separated subset")
    parser.add_argument("--trace", action="store_true", help="also write every call with its thread and time to target/bench/syscalls/NAME.trace")
    parser.add_argument("--no-build", action="store_true", help="use the release binaries already built")
    parser.add_argument("--no-install", action="store_true", help="fail instead of installing nginx with apt-get")
    return parser.parse_args(argv)


def main(argv):
    return guarded("bench/syscalls", _run, parse(argv))


def _run(settings, processes):
    binaries, pki, out = prepare_single(settings, processes, "strace", "syscalls")
    for name in [s.strip() for s in settings.servers.split(",") if s.strip()]:
        server = servers.KINDS[name](pki, OUT / "work", binaries)
        proc = server.start(processes)
        try:
            checks.verify(name, pki)
            _load(binaries, pki, 500, settings.http2, None)  # warm the pools and caches
            report = out / f"{name}.txt"
            strace = _Strace(proc.pid, report, out / f"{name}.trace" if settings.trace else None)
            result = _load(binaries, pki, settings.requests, settings.http2, strace)
        finally:
            processes.stop(proc)
        _summarise(name, report, result["ok"])
    return 0


class _Strace:
    """Attaches `strace -f -c` to every thread of the server's process tree when the load
    generator starts measuring, and detaches when it is done."""

    def __init__(self, pid, report, trace=None):
        self.pid, self.report, self.trace, self.procs = pid, report, trace, []

    def on_event(self, event):
        if event != "measuring":
            return
        attach = [arg for pid in procs.tree(self.pid) for arg in ("-p", str(pid))]
        counting = ["strace", "-f", "-c", "-U", "name,calls,errors", "-o", str(self.report)]
        commands = [counting + attach]
        if self.trace:
            # A second tracer cannot attach to the same threads: the full trace is its own run.
            commands = [["strace", "-f", "-tt", "-o", str(self.trace)] + attach]
            self.report.write_text("")
        self.procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for c in commands]

    def on_result(self):
        for proc in self.procs:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)


def _load(binaries, pki, requests, http2, strace):
    argv = [
        "taskset", "-c", str(servers.HELPER_CPU), str(binaries["loadgen"]), servers.url(),
        "--cacert", str(pki.ca), "--cert", str(pki.client_cert), "--key", str(pki.client_key),
        "-H", f"Ocp-Apim-Subscription-Key: {servers.SUBSCRIPTION_KEY}",
        "--mode", "keep-alive", "-n", str(requests), "-z", "600", "--pause", "2",
    ]
    argv += ["--http2", "-c", "2", "-p", "8"] if http2 else ["-c", "10"]
    result = scenarios._drive(argv, strace or _Quiet(), timeout=900)
    if result["ok"] != result["requests"]:
        raise RuntimeError(f"not every request got 200: {result['statuses']}")
    return result


class _Quiet:
    def on_event(self, _event):
        pass

    def on_result(self):
        pass


def _summarise(name, report, requests):
    """System calls per request, by name, from strace's table."""
    rows, total = [], 0
    for line in report.read_text().splitlines():
        fields = line.split()
        if len(fields) < 2 or not fields[1].isdigit() or fields[0] == "total":
            continue
        calls, errors = int(fields[1]), int(fields[2]) if len(fields) > 2 and fields[2].isdigit() else 0
        rows.append((fields[0], calls, errors))
        total += calls
    print(f"== {name}: {total / requests:.2f} system calls per request ({requests} requests)")
    for syscall, calls, errors in sorted(rows, key=lambda r: -r[1]):
        failed = f"  ({errors / requests:.2f} failed)" if errors else ""
        print(f"   {calls / requests:7.2f}  {syscall}{failed}")
