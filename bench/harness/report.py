"""Medians, ratios, target/bench/summary.json and BENCHMARKS.md."""

import json
import statistics

#: Per scenario, the metrics summarised: (key, label, unit, better).
METRICS = {
    "keepalive_h1": [
        ("cpu_us_per_request", "server CPU per request", "µs", "lower"),
        ("kernel_cpu_us_per_request", "of which in the kernel", "µs", "lower"),
        ("rps", "requests per second", "/s", "higher"),
        ("p50_ms", "p50 latency", "ms", "lower"),
        ("p99_ms", "p99 latency", "ms", "lower"),
        ("peak_rss_mib", "peak RSS", "MiB", "lower"),
    ],
    "h2_multiplexed": [
        ("cpu_us_per_request", "server CPU per request", "µs", "lower"),
        ("kernel_cpu_us_per_request", "of which in the kernel", "µs", "lower"),
        ("rps", "requests per second", "/s", "higher"),
        ("p99_ms", "p99 latency", "ms", "lower"),
        ("peak_rss_mib", "peak RSS", "MiB", "lower"),
    ],
    "new_connection": [
        ("cpu_us_per_request", "server CPU per full handshake (+1 request)", "µs", "lower"),
        ("rps", "connections per second", "/s", "higher"),
        ("p99_ms", "p99 latency (connect+handshake+request)", "ms", "lower"),
        ("peak_rss_mib", "peak RSS", "MiB", "lower"),
    ],
    "fixed_rate": [
        ("p50_ms", "p50 latency", "ms", "lower"),
        ("p99_ms", "p99 latency", "ms", "lower"),
        ("cpu_us_per_request", "server CPU per request", "µs", "lower"),
        ("rps", "achieved rate", "/s", "higher"),
    ],
    "reconfigure": [
        ("configuration_changes", "configuration changes during the run (every request answered 200)", "", "higher"),
        ("cpu_us_per_request", "server CPU per request (incl. rebuilding the configuration)", "µs", "lower"),
        ("rps", "requests per second", "/s", "higher"),
        ("p99_ms", "p99 latency", "ms", "lower"),
    ],
    "config_size": [
        ("cpu_ratio", "server CPU per request, large / small (flat: under 1.10)", "", "lower"),
        ("small_cpu_us_per_request", "server CPU per request, small", "µs", "lower"),
        ("large_cpu_us_per_request", "server CPU per request, large", "µs", "lower"),
        ("rss_ratio", "RSS after start, large / small", "", "lower"),
        ("small_rss_mib", "RSS after start, small", "MiB", "lower"),
        ("large_rss_mib", "RSS after start, large", "MiB", "lower"),
        ("small_startup_s", "start until the first request is answered, small", "s", "lower"),
        ("large_startup_s", "start until the first request is answered, large", "s", "lower"),
        ("first_start_s", "first start on the seeded store (seals its clear keys)", "s", "lower"),
        ("seed_s", "seeding the store (one SQLite transaction)", "s", "lower"),
        ("small_admin_put_s", "one management API change, small", "s", "lower"),
        ("large_admin_put_s", "one management API change, large", "s", "lower"),
        ("small_admin_put_slowest_ms", "slowest gateway call during that change, small", "ms", "lower"),
        ("large_admin_put_slowest_ms", "slowest gateway call during that change, large", "ms", "lower"),
        ("small_rps", "requests per second, small", "/s", "higher"),
        ("large_rps", "requests per second, large", "/s", "higher"),
    ],
    "idle": [
        ("connections", "connections held", "", "higher"),
        ("rss_mib", "RSS while held", "MiB", "lower"),
        ("kib_per_connection", "RSS per idle connection", "KiB", "lower"),
    ],
}

PEERS = ("nginx", "haproxy")


def summarise(results, scenarios, meta):
    """results[scenario][server] = [run, ...] -> the summary document."""
    document = {"meta": meta, "scenarios": {}}
    for scenario in scenarios:
        per_server = results.get(scenario.name, {})
        entry = {"label": scenario.label, "servers": {}, "ratios": {}}
        for server, runs in per_server.items():
            entry["servers"][server] = _server_entry(scenario.name, runs)
        entry["ratios"] = _ratios(scenario.name, entry["servers"])
        document["scenarios"][scenario.name] = entry
    return document


def _server_entry(scenario, runs):
    valid = [r for r in runs if r.get("valid")]
    medians = {}
    for key, *_ in METRICS[scenario]:
        values = [r[key] for r in valid if r.get(key) is not None]
        medians[key] = statistics.median(values) if values else None
    return {
        "median": medians,
        "valid_runs": len(valid),
        "runs": runs,
        "invalid": [r["why_invalid"] for r in runs if not r.get("valid")],
    }


#: Idle-run figures that compare only when both servers held the same number of connections.
SAME_COUNT_ONLY = ("connections", "rss_mib")


def _ratios(scenario, servers):
    ours = servers.get("gatehouse", {}).get("median")
    ratios = {}
    for peer in PEERS:
        theirs = servers.get(peer, {}).get("median")
        if not ours or not theirs:
            continue
        same_count = ours.get("connections") == theirs.get("connections")
        ratios[f"gatehouse / {peer}"] = {
            key: ours[key] / theirs[key]
            if ours.get(key) and theirs.get(key) and (same_count or key not in SAME_COUNT_ONLY)
            else None
            for key, *_ in METRICS[scenario]
        }
    return ratios


def write_json(document, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def markdown(document):
    """BENCHMARKS.md: machine, versions, date, one table of medians and ratios, and notes."""
    meta = document["meta"]
    lines = [
        "# Benchmarks",
        "",
        "Gatehouse side by side with nginx and haproxy doing the same mTLS job (TLS 1.3, client",
        "certificate requested, only the listed SHA-1 thumbprint admitted, forwarded to one upstream",
        "over keep-alive). Generated by `bench/run`; do not edit by hand.",
        "",
        f"- Date: {meta['date']}",
        f"- Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, {meta['machine']['memory']}, Linux {meta['machine']['kernel']}",
        f"- Load average before / after: {meta['load_before']} / {meta['load_after']} (a shared machine: other tenants' work shows up as noise)",
        f"- Versions: {', '.join(f'{k} {v}' for k, v in meta['versions'].items())}",
        f"- Method: {meta['method']}",
        "",
        "Medians of the valid runs. Ratios are Gatehouse / peer: below 1 is better for CPU, latency",
        "and memory; above 1 is better for rates.",
        "",
        "| Scenario | Metric | Gatehouse | nginx | haproxy | GH / nginx | GH / haproxy |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, entry in document["scenarios"].items():
        lines += _rows(name, entry)
    lines += ["", "## Notes", ""] + [f"- {note}" for note in meta["notes"]]
    invalid = _invalid_runs(document)
    if invalid:
        lines += ["", "## Runs left out", ""] + [f"- {line}" for line in invalid]
    return "\n".join(lines) + "\n"


def _rows(name, entry):
    rows = []
    for key, label, unit, _ in METRICS[name]:
        cells = [_value(entry["servers"].get(s, {}).get("median", {}).get(key)) for s in ("gatehouse", "nginx", "haproxy")]
        ratios = [_ratio(entry["ratios"].get(f"gatehouse / {p}", {}).get(key)) for p in PEERS]
        metric = f"{label} ({unit})" if unit else label
        rows.append(f"| {entry['label'] if not rows else ''} | {metric} | {' | '.join(cells)} | {' | '.join(ratios)} |")
    return rows


def _value(v):
    if v is None:
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _ratio(v):
    return "–" if v is None else f"{v:.2f}"


def _invalid_runs(document):
    out = []
    for name, entry in document["scenarios"].items():
        for server, data in entry["servers"].items():
            out += [f"{name} / {server}: {why}" for why in data["invalid"]]
    return out
