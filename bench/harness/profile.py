"""bench/profile: Gatehouse under callgrind for a fixed number of keep-alive requests.

callgrind counts instructions and calls per function, which stays stable on a noisy shared
machine where sampling does not. Collection is switched on only around the measured requests,
so start-up and configuration do not show. It prints instructions and heap allocations per
request and the functions that allocate most; the full profile is in target/bench/profile/.
"""

import argparse
import subprocess

from . import checks, scenarios, servers
from .main import OUT, guarded, prepare_single


def parse(argv):
    parser = argparse.ArgumentParser(prog="bench/profile", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000, help="measured requests (default 5000)")
    parser.add_argument("--http2", action="store_true", help="HTTP/2 instead of HTTP/1.1")
    parser.add_argument("--log", default="warn", help="GATEHOUSE_LOG for the profiled server (default warn)")
    parser.add_argument("--no-build", action="store_true", help="use the release binaries already built")
    parser.add_argument("--no-install", action="store_true", help="fail instead of installing nginx (the upstream) with apt-get")
    return parser.parse_args(argv)


def main(argv):
    return guarded("bench/profile", _run, parse(argv))


def _run(settings, processes):
    binaries, pki, out = prepare_single(settings, processes, "valgrind", "profile")
    server = _Profiled(pki, OUT / "work", binaries, out)
    server.log_level = settings.log
    proc = server.start(processes)
    checks.verify("gatehouse", pki)
    _load(binaries, pki, 500, settings.http2, _Toggle(None))  # warm the pools and caches
    result = _load(binaries, pki, settings.requests, settings.http2, _Toggle(proc.pid))
    processes.stop(proc, grace=60.0)
    _summarise(out / "callgrind.out", result["ok"])
    print(f"   more: callgrind_annotate --inclusive=yes {out}/callgrind.out | head -80")
    return 0


class _Profiled(servers.Gatehouse):
    """Gatehouse started under callgrind, with collection off until the measured window."""

    start_timeout = 300.0

    def __init__(self, pki, workdir, binaries, out):
        super().__init__(pki, workdir, binaries)
        self.out = out

    def _start(self, processes):
        original = self.binaries["gatehouse"]
        wrapper = self.workdir / "valgrind-gatehouse"
        options = f"--tool=callgrind --instr-atstart=no --callgrind-out-file={self.out}/callgrind.out"
        wrapper.write_text(f"#!/bin/sh\nexec valgrind -q {options} {original} \"$@\"\n")
        wrapper.chmod(0o755)
        self.binaries = {**self.binaries, "gatehouse": wrapper}
        return super()._start(processes)


class _Toggle:
    """Switches callgrind's instrumentation on when the load generator starts measuring (its
    connections are open by then, so no handshake is counted) and off when it is done."""

    def __init__(self, pid):
        self.pid = pid

    def on_event(self, event):
        if event == "measuring":
            self._switch("on")

    def on_result(self):
        self._switch("off")

    def _switch(self, state):
        if self.pid:
            subprocess.run(["callgrind_control", "-i", state, str(self.pid)], check=True, capture_output=True, timeout=60)


def _load(binaries, pki, requests, http2, toggle):
    argv = [
        "taskset", "-c", str(servers.HELPER_CPU), str(binaries["loadgen"]), servers.url(),
        "--cacert", str(pki.ca), "--cert", str(pki.client_cert), "--key", str(pki.client_key),
        "-H", f"Ocp-Apim-Subscription-Key: {servers.SUBSCRIPTION_KEY}",
        "--mode", "keep-alive", "-n", str(requests), "-z", "600", "--pause", "2",
    ]
    argv += ["--http2", "-c", "2", "-p", "8"] if http2 else ["-c", "10"]
    result = scenarios._drive(argv, toggle, timeout=900)
    if result["ok"] != result["requests"]:
        raise RuntimeError(f"not every profiled request got 200: {result['statuses']}")
    return result


#: Where Rust code enters the allocator, and the C allocator itself (aws-lc calls it directly).
RUST_ENTRIES = ("__rustc::__rust_alloc", "__rustc::__rust_realloc", "__rustc::__rust_alloc_zeroed")
C_ALLOCATOR = ("malloc", "calloc", "realloc", "posix_memalign", "aligned_alloc")
#: mimalloc's entry points: with link-time optimisation Rust's shims are inlined into their
#: callers, which then call these directly.
MIMALLOC_ENTRIES = ("mi_malloc_aligned", "mi_zalloc_aligned", "mi_realloc_aligned", "mi_malloc", "mi_zalloc", "mi_realloc")


def _summarise(path, requests):
    """Instructions and allocations per request, and the callers that allocate most."""
    totals, by_caller = _allocations(path)
    allocations = sum(by_caller.values())
    print(f"== per request: {totals / requests:,.0f} instructions, {allocations / requests:.1f} heap allocations (incl. reallocations)")
    print("   allocating functions (calls per request):")
    for caller, calls in sorted(by_caller.items(), key=lambda kv: -kv[1])[:30]:
        print(f"   {calls / requests:7.2f}  {caller[:150]}")


def _allocations(path):
    """Parses a callgrind profile: total Ir, and allocator calls per calling function (calls
    to Rust's allocator entry points, and to malloc from anything but Rust's shims)."""
    names, by_caller, current, callee, totals = {}, {}, None, None, 0
    with open(path) as f:
        for line in f:
            if line.startswith(("fn=", "cfn=")):
                key, _, rest = line.rstrip("\n").partition("=")
                name = _name(names, rest)
                current, callee = (name, None) if key == "fn" else (current, name)
            elif line.startswith("calls=") and _allocates(current, callee):
                by_caller[current] = by_caller.get(current, 0) + int(line.split()[0][6:])
            elif line.startswith(("summary:", "totals:")):
                totals = max(totals, int(line.split()[1]))
    return totals, by_caller


def _allocates(caller, callee):
    caller = caller or ""
    if callee in RUST_ENTRIES:
        return caller not in RUST_ENTRIES
    if callee in MIMALLOC_ENTRIES:
        return not caller.startswith(("__rustc::", "mi_", "_mi_", "<mimalloc::"))
    return callee in C_ALLOCATOR and not caller.startswith("__rustc::")


def _name(names, text):
    """callgrind compresses names: '(12) malloc' defines id 12, a later '(12)' refers to it."""
    if text.startswith("("):
        ident, _, name = text.partition(")")
        name = name.strip()
        if name:
            names[ident] = name
        return names.get(ident, text)
    return text
