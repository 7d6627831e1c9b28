"""The servers under test, each its own process group: newsplus as deployed (`newsplus serve`) and a bare
litestar app served by uvicorn with the same options, answering the same bytes from memory."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from newsplus.testing import process_tree

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Server:
    """A running server: its base URL, its process and the time it took to answer its first request."""

    base: str
    process: subprocess.Popen
    started_in: float

    def peak_rss_mb(self) -> float:
        """The largest peak resident memory (VmHWM) of any of the server's processes, in MB."""
        peaks = []
        for pid in process_tree(self.process.pid):
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
        return max(peaks, default=0.0)

    def pin(self, cpus: set[int]) -> None:
        """Keep every process of the server, and each of their threads, on these CPUs."""
        for pid in process_tree(self.process.pid):
            with contextlib.suppress(OSError):
                for thread in Path(f"/proc/{pid}/task").iterdir():
                    with contextlib.suppress(OSError):
                        os.sched_setaffinity(int(thread.name), cpus)


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(
    client: httpx.Client, base: str, process: subprocess.Popen, path: str, log: Path, timeout: float = 120
) -> float:
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped while starting:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if client.get(base + path, timeout=2).status_code < 500:
                return time.perf_counter() - began
        time.sleep(0.02)
    raise RuntimeError(f"the server did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


def _all_listening(process: subprocess.Popen, log: Path, workers: int, timeout: float = 120) -> None:
    """Wait until every worker has started: connections made before one listens all go to the others."""
    began = time.perf_counter()
    while log.read_text().count("Application startup complete") < workers:
        if process.poll() is not None or time.perf_counter() - began > timeout:
            raise RuntimeError(f"not every worker started:\n{log.read_text()[-3000:]}")
        time.sleep(0.02)


@contextlib.contextmanager
def _process(
    command: list[str], base: str, path: str, log: Path, env: dict[str, str], workers: int
) -> Iterator[Server]:
    log.parent.mkdir(parents=True, exist_ok=True)
    # One client, made before the clock starts: a new httpx client per poll spends 30–35 ms setting up TLS
    # defaults before it sends anything, which added about 60 ms to every start-up figure.
    with log.open("w") as out, httpx.Client() as client:
        began = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT, env=env
        )
        try:
            _wait(client, base, process, path, log)
            _all_listening(process, log, workers)
            yield Server(base=base, process=process, started_in=time.perf_counter() - began)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextlib.contextmanager
def newsplus_server(config: Path, workers: int, log: Path) -> Iterator[Server]:
    """`newsplus serve` on a settings file, as a deployment runs it."""
    port = free_port()
    command = [sys.executable, "-c", "from newsplus.cli import main; main()", "serve", "--config", str(config)]
    command += ["--port", str(port), "--workers", str(workers)]
    with _process(command, f"http://127.0.0.1:{port}", "/healthz", log, dict(os.environ), workers) as server:
        yield server


def start_up_seconds(config: Path, workers: int, log: Path, times: int = 5) -> list[float]:
    """The times from spawning `newsplus serve` to its first answer, over a few starts, in order."""
    seconds = []
    for _ in range(times):
        with newsplus_server(config, workers, log) as server:
            seconds.append(server.started_in)
    return sorted(seconds)


@contextlib.contextmanager
def reference_server(payloads: Path, workers: int, log: Path) -> Iterator[Server]:
    """The bare litestar app (bench/reference.py) answering the files in ``payloads`` from memory."""
    port = free_port()
    command = [sys.executable, "-m", "bench.reference", str(port), str(workers)]
    env = dict(os.environ, BENCH_PAYLOADS=str(payloads))
    with _process(command, f"http://127.0.0.1:{port}", "/healthz", log, env, workers) as server:
        yield server
