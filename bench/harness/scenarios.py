"""The measured scenarios: each runs gatehouse-loadgen on CPU 1 against the server on CPU 0
and reads the server's CPU time and memory from /proc around the measured window.
"""

import json
import subprocess
import threading
import time

from . import procs
from .servers import HELPER_CPU, SUBSCRIPTION_KEY, url


#: How often the reconfigure scenario changes Gatehouse's configuration, in seconds.
CHANGE_EVERY_S = 0.25


class Scenario:
    """One kind of run: its name, a label for tables, and the load generator's options."""

    def __init__(self, name, label, options, idle=False, gatehouse_only=False, default=True):
        self.name, self.label, self.options, self.idle = name, label, options, idle
        self.gatehouse_only, self.default = gatehouse_only, default


def catalogue(settings):
    """The scenarios of a run (settings.scenarios names them), in the order each server goes
    through them (idle last, so the memory it leaves behind does not inflate the others'
    peaks); config_size runs on its own after the servers (configsize.py)."""
    return [s for s in everything(settings) if s.name in settings.scenarios]


def everything(settings):
    """Every scenario the harness knows; those with default=False run only when named."""
    d = str(settings.duration)
    return [
        Scenario("keepalive_h1", "Keep-alive HTTP/1.1, 50 connections", ["--mode", "keep-alive", "-c", "50", "-z", d]),
        Scenario("h2_multiplexed", "HTTP/2, 4 connections x 16 streams", ["--mode", "keep-alive", "--http2", "-c", "4", "-p", "16", "-z", d]),
        Scenario("new_connection", "New connection per request (full handshake), 20 at once", ["--mode", "new-connection", "-c", "20", "-z", d]),
        Scenario("fixed_rate", f"Fixed rate {settings.rate}/s, HTTP/1.1, 50 connections", ["--mode", "keep-alive", "-c", "50", "-q", str(settings.rate), "-z", d]),
        Scenario("reconfigure", f"Keep-alive HTTP/1.1 while the configuration changes every {CHANGE_EVERY_S} s",
                 ["--mode", "keep-alive", "-c", "50", "-z", d], gatehouse_only=True),
        Scenario("idle", "Idle mTLS connections held", ["--mode", "idle", "-z", "3"], idle=True),
        Scenario("config_size", f"Keep-alive HTTP/1.1, 50 connections: small configuration vs +{settings.extra_apis:,} APIs "
                 f"and +{settings.extra_subscriptions:,} subscriptions", ["--mode", "keep-alive", "-c", "50", "-z", d],
                 gatehouse_only=True, default=False),
    ]


def run(scenario, loadgen, pki, server_pid, idle_connections=0):
    """Runs one scenario; returns its measurements (and `valid` with a reason if not)."""
    argv = [
        "taskset", "-c", str(HELPER_CPU), str(loadgen), url(),
        "--cacert", str(pki.ca), "--cert", str(pki.client_cert), "--key", str(pki.client_key),
        "-H", f"Ocp-Apim-Subscription-Key: {SUBSCRIPTION_KEY}", *scenario.options,
    ]
    if scenario.idle:
        argv += ["-c", str(idle_connections)]
    sampler = _Sampler(server_pid)
    result = _drive(argv, sampler, timeout=120)
    return _measurements(scenario, result, sampler)


def run_while_reconfiguring(scenario, loadgen, pki, server_pid, put):
    """Runs `scenario` while `put(path, body)` adds and changes an operation every
    CHANGE_EVERY_S seconds through the management API: each change makes Gatehouse build and
    swap a new configuration snapshot under load. A run is valid only if every request got
    200, so a dropped request shows up as an invalid run."""
    stop, changes = threading.Event(), []

    def change():
        while not stop.wait(CHANGE_EVERY_S):
            n = len(changes)
            operation = {"displayName": f"Extra {n}", "method": "GET", "urlTemplate": f"/extra-{n % 10}/{{id}}"}
            put(f"/apis/bench/operations/extra-{n % 10}", {"properties": operation})
            changes.append(n)

    changer = threading.Thread(target=change, daemon=True)
    changer.start()
    try:
        measured = run(scenario, loadgen, pki, server_pid)
    finally:
        stop.set()
        changer.join(timeout=30)
    measured["configuration_changes"] = len(changes)
    return measured


class _Sampler:
    """Server counters read when the load generator announces an event."""

    def __init__(self, pid):
        self.pid = pid
        self.rss_before_kib = procs.rss_kib(pid)
        self.fds_before = procs.open_fds(pid)
        self.cpu_start = self.cpu_end = None
        self.faults_start = self.faults_end = 0
        self.held = {}

    def on_event(self, event):
        if event == "measuring":
            procs.reset_peak(self.pid)
            self.cpu_start = procs.cpu_split(self.pid)
            self.faults_start = procs.page_faults(self.pid)
        elif event == "held":
            time.sleep(1.0)  # let the server finish the last handshakes it is processing
            self.held = {"rss_kib": procs.rss_kib(self.pid), "fds": procs.open_fds(self.pid)}

    def on_result(self):
        self.cpu_end = procs.cpu_split(self.pid)
        self.faults_end = procs.page_faults(self.pid)
        self.peak_kib = procs.peak_rss_kib(self.pid)


def _drive(argv, sampler, timeout):
    """Runs the load generator, feeding its events to the sampler; returns its result."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    result = None
    try:
        for line in proc.stdout:
            message = json.loads(line)
            if "event" in message:
                sampler.on_event(message["event"])
            else:
                sampler.on_result()
                result = message
        proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if result is None:
        raise RuntimeError(f"load generator failed (status {proc.returncode}): {proc.stderr.read().strip()}")
    return result


def _measurements(scenario, result, sampler):
    if scenario.idle:
        return _idle_measurements(result, sampler)
    ok = result["ok"]
    kernel = sampler.cpu_end[1] - sampler.cpu_start[1]
    cpu = sampler.cpu_end[0] - sampler.cpu_start[0] + kernel
    m = {
        "rps": result["rps"],
        "cpu_us_per_request": cpu * 1e6 / ok if ok else None,
        "kernel_cpu_us_per_request": kernel * 1e6 / ok if ok else None,
        "page_faults_per_request": (sampler.faults_end - sampler.faults_start) / ok if ok else None,
        "server_cpu_utilisation": cpu / result["seconds"] if result["seconds"] else None,
        "p50_ms": result["latency_ms"]["p50"],
        "p99_ms": result["latency_ms"]["p99"],
        "peak_rss_mib": sampler.peak_kib / 1024,
        "requests": result["requests"],
        "handshakes": result["handshakes"],
        "tls": result["tls"],
    }
    m["valid"], m["why_invalid"] = _validity(scenario, result)
    return m


def _idle_measurements(result, sampler):
    held = result["held"]
    rss = sampler.held.get("rss_kib", 0)
    m = {
        "connections": held,
        "still_open": result["still_open"],
        "rss_mib": rss / 1024,
        "rss_before_mib": sampler.rss_before_kib / 1024,
        "kib_per_connection": (rss - sampler.rss_before_kib) / held if held else None,
        "server_fds_held": sampler.held.get("fds", 0) - sampler.fds_before,
        "opening_seconds": result["opening_seconds"],
        "tls": result["tls"],
    }
    wanted = sum(result["failures"].values()) + held
    m["valid"] = held == wanted and result["still_open"] == held
    m["why_invalid"] = None if m["valid"] else f"held {held} of {wanted}, {result['still_open']} still open after the hold"
    return m


def _validity(scenario, result):
    """A run counts only if every request got 200 and, for full handshakes, none resumed."""
    failures = sum(result["failures"].values())
    non_200 = sum(n for status, n in result["statuses"].items() if status != "200")
    if result["ok"] == 0:
        return False, "no request succeeded"
    if failures or non_200:
        return False, f"{failures} failed and {non_200} non-200 of {result['requests'] + failures}"
    if scenario.name == "new_connection" and result["handshakes"]["resumed"]:
        return False, f"{result['handshakes']['resumed']} handshakes were resumed"
    return True, None
