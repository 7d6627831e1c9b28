"""The reference: a bare litestar handler answering a recorded newsplus response from memory, served by
uvicorn with the options `newsplus serve` uses. It is the framework's own limit on this machine."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from litestar import Litestar, Request, Response, get


def app() -> Litestar:
    """An app answering ``GET <path>`` with the bytes recorded for it (files named by a hash of the path)."""
    folder = Path(os.environ["BENCH_PAYLOADS"])
    payloads = {p.stem: p.read_bytes() for p in folder.glob("*.json")}

    @get("/healthz", sync_to_thread=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @get("/{path:path}", sync_to_thread=False)
    def recorded(request: Request, path: str) -> Response[bytes]:
        key = payload_key(path, request.url.query)
        return Response(payloads.get(key, b"{}"), media_type="application/json")

    return Litestar([healthz, recorded])


def payload_key(path: str, query: str) -> str:
    """The file name a recorded response is kept under."""
    import hashlib

    return hashlib.sha256(f"{path.strip('/')}?{query}".encode()).hexdigest()[:16]


def main() -> None:
    """Serve the reference app: ``python -m bench.reference PORT WORKERS``."""
    from newsplus.serving import run_server  # served as `newsplus serve` serves, workers and all

    port, workers = int(sys.argv[1]), int(sys.argv[2])
    run_server(
        "bench.reference:app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        reload=False,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_level="info",
    )


if __name__ == "__main__":
    main()
