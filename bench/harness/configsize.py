"""The configuration-size scenario (Gatehouse only, off by default): does CPU per proxied
request stay flat as the configuration grows from the harness's small one to thousands of
APIs and a million subscription keys? Micro-benchmarks show the lookups are; this shows the
whole request path end to end.

Two data directories are kept for the run: `small`, configured through the management API
as for every other scenario, and `large`, a copy grown by seed.py. Each measurement restarts
Gatehouse on one of them, so both sizes go through the same start, the same checks and the
same keep-alive run; reps alternate which size goes first, so drift on a shared machine does
not always favour one. Both directories are removed at the end.
"""

import http.client
import shutil
import socket
import ssl
import threading
import time

from . import checks, procs, scenarios, seed
from .servers import PATH, SUBSCRIPTION_KEY, Gatehouse, Ports

#: Seconds Gatehouse may take to answer its first request after a start. The first start on
#: the seeded store also seals every clear key and compacts the file.
START_TIMEOUT = 600.0
#: Seconds one management API change may take: each rebuilds the whole configuration.
ADMIN_TIMEOUT = 300.0
#: The change timed through the management API: the bench operation, written unchanged.
ADMIN_CHANGE = ("/apis/bench/operations/plain", {"properties": {"displayName": "Plain", "method": "GET", "urlTemplate": "/plain"}})


class ConfigSize:
    """The small and large data directories of one run, and the measurements on them."""

    def __init__(self, pki, workdir, binaries, apis, subscriptions):
        self.pki, self.binaries = pki, binaries
        self.dir = workdir / "config-size"
        self.apis, self.subscriptions = apis, subscriptions
        self.prepared = False

    def measure(self, processes, scenario, rep):
        """One small and one large run (large first on odd reps); returns their pair. The first
        call also builds both data directories and reports how long that took."""
        setup = {} if self.prepared else self._prepare(processes)
        order = ("small", "large") if rep % 2 == 0 else ("large", "small")
        runs = {size: self._run(processes, scenario, size) for size in order}
        return _pair(runs["small"], runs["large"], setup)

    def cleanup(self):
        """Removes both data directories (the large one is a few hundred MB)."""
        shutil.rmtree(self.dir, ignore_errors=True)

    def _prepare(self, processes):
        """Configures the small directory as usual, copies and seeds it, then starts Gatehouse
        once on the copy so that it seals the clear keys before anything is measured."""
        self.cleanup()
        self.dir.mkdir(parents=True)
        first = Gatehouse(self.pki, self.dir, self.binaries)
        processes.stop(first.start(processes))
        (self.dir / "gatehouse").rename(self.dir / "small")
        shutil.copytree(self.dir / "small", self.dir / "large")
        print(f"   config_size     seeding {self.apis:,} APIs and {self.subscriptions:,} subscriptions")
        seeded = seed.seed(self.dir / "large/data/gatehouse.db", self.apis, self.subscriptions,
                           f"http://127.0.0.1:{Ports.upstream}")
        server = self._server("large")
        proc = server.launch(processes)
        try:
            first_start = _wait_until_serving(proc, self.pki)
        finally:
            processes.stop(proc)
        print(f"   config_size     seeded in {seeded:.1f} s; first start (sealing the keys) {first_start:.1f} s")
        self.prepared = True
        return {"seed_s": seeded, "first_start_s": first_start}

    def _run(self, processes, scenario, size):
        """Starts Gatehouse on one directory, checks it, and measures it."""
        server = self._server(size)
        proc = server.launch(processes)
        try:
            startup = _wait_until_serving(proc, self.pki)
            checks.verify(f"gatehouse ({size} configuration)", self.pki)
            rss_mib = procs.rss_kib(proc.pid) / 1024
            measured = scenarios.run(scenario, self.binaries["loadgen"], self.pki, proc.pid)
            began = time.monotonic()
            slowest_ms = _slowest_answer_during(lambda: server._admin_put(*ADMIN_CHANGE), self.pki)
            measured.update(startup_s=startup, rss_mib=rss_mib, admin_put_s=time.monotonic() - began,
                            admin_put_slowest_ms=slowest_ms)
            return measured
        finally:
            processes.stop(proc)

    def _server(self, size):
        server = Gatehouse(self.pki, self.dir, self.binaries)
        server.workdir = self.dir / size
        server.admin_timeout = ADMIN_TIMEOUT
        return server


def _pair(small, large, setup):
    """One rep's record: both runs, and the figures the report takes medians of."""
    record = {"small": small, "large": large, **setup}
    for key in ("cpu_us_per_request", "rss_mib", "startup_s", "admin_put_s", "admin_put_slowest_ms", "rps", "p99_ms"):
        record[f"small_{key}"], record[f"large_{key}"] = small[key], large[key]
    record["cpu_ratio"] = _ratio(large["cpu_us_per_request"], small["cpu_us_per_request"])
    record["rss_ratio"] = _ratio(large["rss_mib"], small["rss_mib"])
    why = [f"{size}: {run['why_invalid']}" for size, run in (("small", small), ("large", large)) if not run["valid"]]
    record["valid"], record["why_invalid"] = not why, "; ".join(why) or None
    return record


def _ratio(a, b):
    return a / b if a and b else None


def _wait_until_serving(proc, pki):
    """Seconds from now until the gateway answers the bench request with 200. Gatehouse binds
    its ports before it loads the store, so an open port does not mean it serves yet."""
    began = time.monotonic()
    deadline = began + START_TIMEOUT
    context = ssl.create_default_context(cafile=str(pki.ca))
    context.load_cert_chain(str(pki.client_cert), str(pki.client_key))
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gatehouse exited with status {proc.returncode} while starting")
        if _answers(context):
            return time.monotonic() - began
        time.sleep(0.05)
    raise RuntimeError(f"gatehouse did not answer within {START_TIMEOUT:.0f} s of starting")


def _slowest_answer_during(change, pki):
    """Runs `change` while one client keeps calling the gateway (a new connection each time);
    the longest call in milliseconds. A change that held up the request runtime shows here."""
    context = ssl.create_default_context(cafile=str(pki.ca))
    context.load_cert_chain(str(pki.client_cert), str(pki.client_key))
    slowest, done = [0.0], threading.Event()

    def probe():
        while not done.is_set():
            began = time.monotonic()
            _answers(context)
            slowest[0] = max(slowest[0], time.monotonic() - began)

    thread = threading.Thread(target=probe)
    thread.start()
    try:
        change()
    finally:
        done.set()
        thread.join()
    return slowest[0] * 1000


def _answers(context):
    connection = http.client.HTTPSConnection("localhost", Ports.listen, context=context, timeout=5)
    try:
        connection.request("GET", PATH, headers={"Ocp-Apim-Subscription-Key": SUBSCRIPTION_KEY})
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException, socket.timeout):
        return False
    finally:
        connection.close()


def describe(record):
    """A one-line summary of a pair for the progress output."""
    def side(size):
        return (f"{size} {record[f'{size}_cpu_us_per_request'] or 0:.1f} µs/req, "
                f"RSS {record[f'{size}_rss_mib']:.0f} MiB, start {record[f'{size}_startup_s']:.1f} s")
    ratio = record["cpu_ratio"]
    mark = "" if record["valid"] else f"  INVALID: {record['why_invalid']}"
    return f"{side('small')}; {side('large')}; CPU large/small {ratio or 0:.3f}{mark}"

