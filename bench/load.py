"""Load from a separate process: Debian's `wrk` when present, else a Python generator (httpx, asyncio).

Both keep N connections busy for a while and report requests per second, the 50th and 99th percentile
latency and how many answers were not the expected status."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WRK = shutil.which("wrk")
# Each load run starts this long after the previous one ended. A run of 64 connections that began within a
# second or two of the last one's end showed a p99 of 50-320 ms on either server (newsplus's own timing put
# every request under 21 ms, and its event loop never paused 30 ms), and of 20-27 ms five seconds later; one
# 30-second run stayed at 25 ms. The wait is outside the servers (see docs/performance.md).
SETTLE_SECONDS = 5.0
_last_end = 0.0

# Rotates the Authorization header over the tokens and sends the body.
LUA = """
local tokens = {%(tokens)s}
local n = 0
wrk.method = "%(method)s"
wrk.body = %(body)s
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  if #tokens > 0 then wrk.headers["Authorization"] = "Bearer " .. tokens[(n %% #tokens) + 1] end
  return wrk.format(nil, nil, nil, nil)
end
"""


@dataclass
class Load:
    """What one load run measured."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    unexpected: int
    tool: str


def drive(
    url: str,
    *,
    connections: int = 64,
    seconds: float = 10,
    method: str = "GET",
    body: str = "",
    tokens: list[str] | None = None,
    python: bool = False,
    settle: bool = True,
) -> Load:
    """Keep ``connections`` requests in flight on ``url`` for ``seconds``; wrk unless asked for Python. With
    ``settle``, start ``SETTLE_SECONDS`` after the previous run ended (for figures that report latency)."""
    global _last_end
    wait = SETTLE_SECONDS if settle and seconds >= SETTLE_SECONDS else 0.0  # --quick's figures mean nothing anyway
    time.sleep(max(0.0, _last_end + wait - time.monotonic()))
    try:
        if WRK and not python:
            return _wrk(url, connections, seconds, method, body, tokens or [])
        return _python(url, connections, seconds, method, body, tokens or [])
    finally:
        _last_end = time.monotonic()


def drive_together(urls: list[str], **options: Any) -> list[Load]:
    """Load every server in ``urls`` at the same moment, one load process each (``drive``'s options)."""
    with ThreadPoolExecutor(len(urls)) as pool:
        return list(pool.map(lambda url: drive(url, **options), urls))


def _wrk(url: str, connections: int, seconds: float, method: str, body: str, tokens: list[str]) -> Load:
    script = LUA % {
        # Lua strings are bytes: UTF-8 as it is (LuaJIT knows no \u escapes), quotes and backslashes escaped.
        "tokens": ", ".join(json.dumps(t) for t in tokens),
        "body": json.dumps(body, ensure_ascii=False) if body else "nil",
        "method": method,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    command = [WRK, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "60s", "--latency"]
    command += ["-s", handle.name, url]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    if "error" in done.stderr.lower():  # wrk goes on with plain GETs when its script fails: that is no result
        raise RuntimeError(f"wrk's script failed: {done.stderr.strip()}")
    out = done.stdout
    Path(handle.name).unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    unexpected = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    return Load(rps, _wrk_ms(out, "50%"), _wrk_ms(out, "99%"), requests, unexpected, "wrk")


def _wrk_ms(out: str, percentile: str) -> float:
    value, unit = re.search(rf"^\s+{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _python(url: str, connections: int, seconds: float, method: str, body: str, tokens: list[str]) -> Load:
    spec = json.dumps(
        {"url": url, "connections": connections, "seconds": seconds, "method": method, "body": body, "tokens": tokens}
    )
    out = subprocess.run([sys.executable, "-m", "bench.load"], input=spec, capture_output=True, text=True, check=True)
    return Load(**json.loads(out.stdout))


async def _generate(spec: dict) -> Load:
    import httpx

    latencies: list[float] = []
    unexpected = 0
    stop = time.perf_counter() + spec["seconds"]
    limits = httpx.Limits(max_connections=spec["connections"], max_keepalive_connections=spec["connections"])
    tokens = spec["tokens"]
    counter = iter(range(10**9))

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal unexpected
        while time.perf_counter() < stop:
            n = next(counter)
            headers = {"Content-Type": "application/json"}
            if tokens:
                headers["Authorization"] = f"Bearer {tokens[n % len(tokens)]}"
            began = time.perf_counter()
            response = await client.request(spec["method"], spec["url"], content=spec["body"] or None, headers=headers)
            latencies.append(time.perf_counter() - began)
            unexpected += response.status_code >= 400

    began = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(spec["connections"])))
    elapsed = time.perf_counter() - began
    latencies.sort()

    def at(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0.0

    return Load(len(latencies) / elapsed, at(0.5), at(0.99), len(latencies), unexpected, "python")


if __name__ == "__main__":
    result = asyncio.run(_generate(json.loads(sys.stdin.read())))
    print(json.dumps(result.__dict__))
