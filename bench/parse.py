#!/usr/bin/env python3
"""Parses the summaries of the load generators the bench/ scripts run.

    parse.py TOOL OUTFILE   prints "count rps p95_ms p99_ms max_ms"
                            (fields a tool does not report are "nan")

TOOL is wrk, h2load, hey, vegeta (vegeta report -type=json), k6 (the JSON
written by handleSummary) or mayfly (summary.json). Used by capacity.sh and
stall.sh; standard library only.
"""
import json
import math
import re
import sys

NAN = float("nan")


def dur_ms(s):
    """wrk/h2load durations: 1.2ms, 350us, 1.5s, 2m."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", s.strip())
    if not m:
        return NAN
    v, unit = float(m.group(1)), m.group(2)
    return v * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}[unit]


def wrk(text):
    count = int(re.search(r"(\d+) requests in", text).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    pct = {}
    for p, v in re.findall(r"^\s+(\d+)%\s+(\S+)$", text, re.M):
        pct[p] = dur_ms(v)
    mx = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", text)
    return count, rps, pct.get("95", NAN), pct.get("99", NAN), dur_ms(mx.group(1)) if mx else NAN


def h2load(text):
    rps = float(re.search(r"finished in [\d.]+\w*, ([\d.]+) req/s", text).group(1))
    count = int(re.search(r"requests: .*?(\d+) succeeded", text).group(1))
    mx = re.search(r"time for request:\s+\S+\s+(\S+)", text)
    return count, rps, NAN, NAN, dur_ms(mx.group(1)) if mx else NAN


def hey(text):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    count = sum(int(n) for n in re.findall(r"\[\d+\]\s+(\d+) responses", text))
    err = re.search(r"Error distribution:(.*)", text, re.S)
    if err:
        count += sum(int(n) for n in re.findall(r"\[(\d+)\]", err.group(1)))
    pct = {p: float(v) * 1e3 for p, v in re.findall(r"(\d+)%+ in ([\d.]+) secs", text)}
    mx = re.search(r"Slowest:\s+([\d.]+) secs", text)
    return count, rps, pct.get("95", NAN), pct.get("99", NAN), float(mx.group(1)) * 1e3 if mx else NAN


def vegeta(text):
    d = json.loads(text)
    lat = d["latencies"]
    return d["requests"], d["rate"], lat["95th"] / 1e6, lat["99th"] / 1e6, lat["max"] / 1e6


def k6(text):
    m = json.loads(text)["metrics"]
    reqs = m["http_reqs"]["values"]
    dur = m["http_req_duration"]["values"]
    return reqs["count"], reqs["rate"], dur.get("p(95)", NAN), dur.get("p(99)", NAN), dur.get("max", NAN)


def mayfly(text):
    t = json.loads(text)["total"]
    lat = t["latency"]
    return t["count"], t["rps"], lat["p95"], lat["p99"], lat["max"]


def main():
    tool, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    try:
        vals = globals()[tool](text)
    except (AttributeError, KeyError, ValueError, TypeError) as e:
        sys.exit(f"parse.py: cannot read {tool}'s summary {path}: {e!r}")
    out = []
    for v in vals:
        v = float(v)
        out.append("nan" if math.isnan(v) else f"{v:.3f}")
    print(" ".join(out))


if __name__ == "__main__":
    main()
