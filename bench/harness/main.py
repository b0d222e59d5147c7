"""bench/run: set up, measure each server in turn, write the summary and BENCHMARKS.md."""

import argparse
import datetime
import os
import pathlib
import platform
import resource
import shutil
import signal
import subprocess
import sys
import time

from . import certs, checks, configsize, procs, report, scenarios, servers

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "target" / "bench"
#: haproxy is started with maxconn 8000 here; it holds this many idle connections at most.
HAPROXY_IDLE = 7500


def parse(argv):
    parser = argparse.ArgumentParser(prog="bench/run", description="Side-by-side mTLS benchmark: Gatehouse, nginx, haproxy.")
    parser.add_argument("--reps", type=int, default=3, help="runs of every scenario per server (default 3)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per load step (default 5)")
    parser.add_argument("--rate", type=int, default=5000, help="requests per second of the fixed-rate run (default 5000)")
    parser.add_argument("--idle", type=int, default=10000, help="idle connections to hold (haproxy: at most 7500)")
    parser.add_argument("--servers", default="gatehouse,nginx,haproxy", help="comma-separated subset")
    parser.add_argument("--budget", type=float, default=14.0, help="minutes the measurements may take (default 14)")
    parser.add_argument("--quick", action="store_true", help="one run of 2 s per scenario and 2000 idle connections, to try the harness")
    parser.add_argument("--no-install", action="store_true", help="fail instead of installing nginx and haproxy with apt-get")
    parser.add_argument("--no-build", action="store_true", help="use the release binaries already built instead of running cargo build")
    parser.add_argument("--scenarios", default="default",
                        help="comma-separated scenarios; 'default' stands for all but config_size (default: default), "
                             "e.g. default,config_size or config_size")
    parser.add_argument("--extra-apis", type=int, default=10000, help="APIs config_size adds to the large configuration (default 10000)")
    parser.add_argument("--extra-subscriptions", type=int, default=1000000,
                        help="subscriptions config_size adds to the large configuration (default 1000000)")
    settings = parser.parse_args(argv)
    if settings.quick:
        settings.reps, settings.duration, settings.idle = 1, 2.0, 2000
    settings.servers = _names(settings.servers)
    unknown = set(settings.servers) - set(servers.KINDS)
    if unknown or not 1 <= settings.reps <= 10 or not 0.5 <= settings.duration <= 60:
        parser.error(f"unknown servers {sorted(unknown)}" if unknown else "--reps must be 1-10 and --duration 0.5-60")
    if not 0 <= settings.extra_apis <= 100000 or not 0 <= settings.extra_subscriptions <= 10000000:
        parser.error("--extra-apis must be 0-100000 and --extra-subscriptions 0-10000000")
    settings.scenarios = _scenario_names(parser, settings)
    return settings


def _names(text):
    return [name.strip() for name in text.split(",") if name.strip()]


def _scenario_names(parser, settings):
    """The selected scenario names, 'default' expanded; an error names the unknown ones."""
    known = scenarios.everything(settings)
    names = set()
    for name in _names(settings.scenarios):
        names |= {s.name for s in known if s.default} if name == "default" else {name}
    unknown = names - {s.name for s in known}
    if unknown or not names:
        parser.error(f"unknown scenarios {sorted(unknown)}; known: default, {', '.join(s.name for s in known)}"
                     if unknown else "--scenarios names none")
    if "config_size" in names and "gatehouse" not in settings.servers:
        parser.error("config_size measures Gatehouse only: add gatehouse to --servers")
    return names


def main(argv):
    return guarded("bench/run", _run, parse(argv))


def guarded(name, run, settings):
    """Runs `run(settings, processes)` and stops every process it started, also on failure
    or Ctrl-C; failures are one line on stderr and exit status 1 (130 when interrupted)."""
    processes = procs.Processes(OUT / "processes")
    _stop_on_signals()
    try:
        return run(settings, processes)
    except (RuntimeError, checks.CheckFailed, subprocess.SubprocessError, OSError) as error:
        print(f"{name}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted; stopping what it started", file=sys.stderr)
        return 130
    finally:
        processes.stop_all()


def _stop_on_signals():
    """SIGTERM and SIGHUP unwind like Ctrl-C, so the finally block stops every process."""
    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)


def _run(settings, processes):
    _ensure_tools(settings)
    binaries = _build(settings.no_build)
    _check_ports()
    _raise_fd_limit()
    load_before = _load_average()
    began = time.monotonic()
    pki = certs.make(OUT / "pki")
    print(f"== certificates in {pki.dir}; admitted thumbprint {pki.thumbprint}")
    servers.start_upstream(processes, OUT / "work" / "upstream")
    catalogue = scenarios.catalogue(settings)
    sized = configsize.ConfigSize(pki, OUT / "work", binaries, settings.extra_apis, settings.extra_subscriptions)
    try:
        results = _measure_all(settings, processes, pki, binaries, catalogue, began, sized)
    finally:
        processes.stop_all()  # nothing may still run on the data directories removed next
        sized.cleanup()
    meta = _meta(settings, binaries, load_before, time.monotonic() - began)
    document = report.summarise(results, catalogue, meta)
    report.write_json(document, OUT / "summary.json")
    (ROOT / "BENCHMARKS.md").write_text(report.markdown(document))
    print(f"== wrote {OUT / 'summary.json'} and BENCHMARKS.md in {meta['measure_seconds']:.0f} s")
    return 0


def _measure_all(settings, processes, pki, binaries, catalogue, began, sized):
    """Every rep runs every server once, in an order rotated each rep, then config_size."""
    results = {s.name: {} for s in catalogue}
    budget, done = settings.budget * 60, 0
    for rep in range(settings.reps):
        shift = rep % len(settings.servers)
        units = [n for n in settings.servers[shift:] + settings.servers[:shift] if _scenarios_for(n, catalogue)]
        for name in units + (["config_size"] if "config_size" in results else []):
            elapsed = time.monotonic() - began
            if done and elapsed / done * 1.2 > budget - elapsed:
                print(f"!! time budget of {settings.budget:g} min reached in rep {rep + 1}; stopping early", file=sys.stderr)
                return results
            done += 1
            print(f"== rep {rep + 1}/{settings.reps}: {name}")
            if name == "config_size":
                scenario = next(s for s in catalogue if s.name == name)
                measured = sized.measure(processes, scenario, rep)
                print(f"   {name:15} {configsize.describe(measured)}")
                results[name].setdefault("gatehouse", []).append(measured)
                continue
            server = servers.KINDS[name](pki, OUT / "work", binaries)
            for scenario, measured in _measure_server(server, processes, pki, binaries["loadgen"], catalogue, settings):
                results[scenario.name].setdefault(name, []).append(measured)
    return results


def _scenarios_for(server_name, catalogue):
    """The scenarios a server goes through in _measure_server (config_size is apart)."""
    return [s for s in catalogue if s.name != "config_size" and (server_name == "gatehouse" or not s.gatehouse_only)]


def _measure_server(server, processes, pki, loadgen, catalogue, settings):
    proc = server.start(processes)
    try:
        checks.verify(server.name, pki)
        for scenario in _scenarios_for(server.name, catalogue):
            idle = min(settings.idle, HAPROXY_IDLE) if server.name == "haproxy" else settings.idle
            if scenario.name == "reconfigure":
                measured = scenarios.run_while_reconfiguring(scenario, loadgen, pki, proc.pid, server._admin_put)
            else:
                measured = scenarios.run(scenario, loadgen, pki, proc.pid, idle)
            measured["load_average"] = _load_average()
            print(f"   {scenario.name:15} {_line(measured)}")
            yield scenario, measured
    finally:
        processes.stop(proc)


def _line(m):
    mark = "" if m["valid"] else f"  INVALID: {m['why_invalid']}"
    if "connections" in m:
        return f"{m['connections']} held, RSS {m['rss_mib']:.1f} MiB, {m['kib_per_connection'] or 0:.1f} KiB/conn{mark}"
    cpu = m["cpu_us_per_request"] or 0
    if "configuration_changes" in m:
        mark = f"  {m['configuration_changes']} configuration changes{mark}"
    return f"{m['rps']:9,.0f}/s  {cpu:7.1f} µs CPU/req  p50 {m['p50_ms']:.2f} ms  p99 {m['p99_ms']:.2f} ms  peak {m['peak_rss_mib']:.1f} MiB{mark}"


def prepare_single(settings, processes, tool, name):
    """What bench/profile and bench/syscalls both start from: the usual tools and `tool`,
    release binaries, free ports, the certificates and the upstream. Returns the binaries,
    the certificates and the output directory target/bench/NAME."""
    _ensure_tools(settings)  # nginx serves as the upstream, as in bench/run
    if not shutil.which(tool):
        raise RuntimeError(f"{tool} is required but not installed (apt-get install -y {tool})")
    binaries = _build(settings.no_build)
    _check_ports()
    out = OUT / name
    out.mkdir(parents=True, exist_ok=True)
    pki = certs.make(OUT / "pki")
    servers.start_upstream(processes, OUT / "work" / "upstream")
    return binaries, pki, out


def _ensure_tools(settings):
    for tool in ("cargo", "openssl", "curl", "taskset"):
        if not shutil.which(tool):
            raise RuntimeError(f"{tool} is required but not installed")
    missing = [pkg for pkg in ("nginx", "haproxy") if not shutil.which(pkg)]
    if missing and settings.no_install:
        raise RuntimeError(f"not installed: {', '.join(missing)} (apt-get install -y {' '.join(missing)})")
    if missing:
        print(f"== installing {', '.join(missing)} from Debian")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=300)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env, timeout=600)
    if os.cpu_count() < 2:
        raise RuntimeError("two CPUs are needed: the server on CPU 0, load and upstream on CPU 1")


def _build(skip):
    """Release builds of gatehouse and the load generator (CARGO_TARGET_DIR is honoured)."""
    if not skip:
        print("== cargo build --release -p gatehouse -p gatehouse-loadgen")
        command = ["cargo", "build", "--release", "--locked", "-q", "-p", "gatehouse", "-p", "gatehouse-loadgen"]
        if subprocess.run(command, cwd=ROOT).returncode != 0:
            raise RuntimeError("the release build failed (see above)")
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    if not target.is_absolute():
        target = ROOT / target
    binaries = {"gatehouse": target / "release/gatehouse", "loadgen": target / "release/gatehouse-loadgen"}
    for path in binaries.values():
        if not path.is_file():
            raise RuntimeError(f"{path} is missing: build it or drop --no-build")
    return binaries


def _check_ports():
    """Chooses free loopback ports for this run."""
    servers.Ports.choose()
    print(f"== ports: servers {servers.Ports.listen}, Gatehouse admin {servers.Ports.admin}, upstream {servers.Ports.upstream}")


def _raise_fd_limit():
    """Idle runs hold 10,000 connections: lift the soft descriptor limit (children inherit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2 * 10000 - 100:
        print(f"!! descriptor limit {hard} is low for the idle run", file=sys.stderr)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _load_average():
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _meta(settings, binaries, load_before, seconds):
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
        "versions": _versions(binaries),
        "load_before": load_before,
        "load_after": _load_average(),
        "measure_seconds": seconds,
        "settings": {"reps": settings.reps, "duration_s": settings.duration, "rate": settings.rate,
                     "idle": settings.idle, "idle_haproxy": min(settings.idle, HAPROXY_IDLE),
                     "scenarios": sorted(settings.scenarios), "servers": settings.servers,
                     **({"extra_apis": settings.extra_apis, "extra_subscriptions": settings.extra_subscriptions}
                        if "config_size" in settings.scenarios else {})},
        "method": (f"{settings.reps} runs of {settings.duration:g} s per scenario, servers alternated; server on CPU 0 "
                   "(one worker), upstream nginx and gatehouse-loadgen on CPU 1; loopback; ECDSA P-256, X25519, "
                   "TLS 1.3 only; CPU = utime+stime of the server's process tree from /proc"),
        "notes": _notes(settings),
    }


def _notes(settings):
    return _common_notes(settings) + (_config_size_notes(settings) if "config_size" in settings.scenarios else [])


def _config_size_notes(settings):
    return [
        f"Configuration size (Gatehouse only): the keep-alive run on the harness's configuration "
        f"(small) and on a copy of its store grown by {settings.extra_apis:,} APIs (one operation "
        f"each) and {settings.extra_subscriptions:,} active subscriptions with distinct keys, "
        "written into the SQLite file in one transaction while Gatehouse is stopped, with the keys "
        "in the clear; the first start on it seals them (the upgrade path) and is timed apart. "
        "Each run restarts Gatehouse on its store; start time is from launch until the bench "
        "request gets 200, RSS is read right after the checks. Ratios are large / small per rep "
        "(reps alternate which goes first), then the median. The management API change is one "
        "PUT of the bench operation, unchanged, after the run.",
    ]


def _common_notes(settings):
    return [
        "CPU per request is the stable figure on this shared 2-core machine; requests per second "
        "also depend on the load generator and upstream sharing CPU 1.",
        "'Of which in the kernel' is the server's stime: its system calls and the loopback TCP work "
        "they cause (on loopback, sending runs the receiver's side of TCP too). The servers move the "
        "same bytes in the same number of TCP writes, so this part is about the same for all three; "
        "user-space CPU per request is the total minus it.",
        "New-connection runs: every handshake was checked to be full (the client tries to resume; "
        "the servers have tickets and session caches off: nginx ssl_session_tickets/cache off, "
        "haproxy no-tls-tickets and tune.ssl.cachesize 0, Gatehouse --disable-tls-resumption).",
        "The client offers only X25519, which all three negotiate; rustls clients would otherwise "
        "offer X25519MLKEM768 first, which Gatehouse accepts and OpenSSL 3.0 cannot.",
        "nginx uses ssl_verify_client optional_no_ca; haproxy, which has no such mode, gets an "
        "unrelated CA as ca-file with verify errors ignored, so neither verifies a chain signature; "
        "Gatehouse accepts any chain and checks the thumbprint in the article's policy. Gatehouse "
        "also checks a subscription key (SHA-256 lookup) that the peers do not.",
        f"Idle connections: {settings.idle} for Gatehouse and nginx, {min(settings.idle, HAPROXY_IDLE)} "
        "for haproxy (maxconn 8000 is its ceiling here); compare the per-connection figure, which "
        "is (RSS while held - RSS before) / connections.",
        "Fixed-rate latency counts from each request's scheduled time when it had to wait for a "
        "busy connection, else from when the client's timer fired; p99 on this shared machine is "
        "dominated by other tenants and varies several-fold between runs.",
        "Logging: nginx access_log off, haproxy without log, Gatehouse GATEHOUSE_LOG=warn (its "
        "per-request info line is off).",
        "Reconfigure (Gatehouse only): the management API adds or changes an operation of the "
        "measured API every 0.25 s during a keep-alive run, so Gatehouse rebuilds and swaps its "
        "configuration snapshot under load; the run counts only if every request got 200, so a "
        "dropped request would list it under 'Runs left out'. Its CPU includes the rebuilds, which "
        "run on the same core.",
    ]


def _machine():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        memory = f"{int(f.readline().split()[1]) / 1024 / 1024:.0f} GiB RAM"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": memory, "kernel": platform.release()}


def _versions(binaries):
    def out(*argv):
        result = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
        return (result.stdout or result.stderr).strip()

    rev = out("git", "rev-parse", "--short", "HEAD")
    dirty = "+changes" if out("git", "status", "--porcelain", "--untracked-files=no") else ""
    return {
        "gatehouse": f"{out(str(binaries['gatehouse']), '--version').split()[-1]} ({rev}{dirty})",
        "nginx": out("nginx", "-v").split("/")[-1],
        "haproxy": out("haproxy", "-v").split()[2],
        "OpenSSL": out("openssl", "version").split()[1],
        "rustc": out("rustc", "--version").split()[1],
        "load generator": "gatehouse-loadgen " + out(str(binaries["loadgen"]), "--version").split()[-1],
    }
