"""Wagtail's API v2 over the same news pages, for the comparison the benchmark makes.

``wagtail_server(articles, workdir, port)`` builds (once, cached under ``workdir``) a virtual environment with
the latest Wagtail and gunicorn from PyPI, a project made by ``wagtail start`` with one ``news.NewsPage`` type
and the API v2 router as Wagtail's docs configure it, loads the articles as live pages in bulk, and serves it
with gunicorn (DEBUG off, no access log) for the duration of the ``with`` block. Standard library only: it runs
in the newsplus environment and drives the Wagtail one through subprocesses. By hand:
``python -m bench.wagtail_site --pages 1000 --workdir /tmp/wagtail-bench [--wrk 10]``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECT_FILES = Path(__file__).with_name("wagtail_project")
SETTINGS = "newsbench.settings.production"
PAGE_TYPE = "news.NewsPage"


@dataclass(frozen=True)
class WagtailSite:
    """A running Wagtail site; the two paths are the ones the benchmark compares with newsplus's feed."""

    base_url: str
    version: str  # the Wagtail version installed from PyPI
    pages: int  # news pages loaded (the tree also holds the root and the home page)
    build_seconds: float  # time this run spent on venv, project and pages: 0.0 means all came from the cache
    checks: dict = field(default_factory=dict)  # what Wagtail itself said about the loaded tree
    listing_path: str = "/api/v2/pages/?limit=20"
    newest_of_type_path: str = f"/api/v2/pages/?type={PAGE_TYPE}&order=-first_published_at&limit=20"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return env | {"DJANGO_SETTINGS_MODULE": SETTINGS, "PYTHONUNBUFFERED": "1"}


def _run(args: list[str | Path], log: Path, cwd: Path | None = None) -> str:
    """Run a command of the build; its output goes to ``log`` too, and a failure raises with the output's tail."""
    started = time.perf_counter()
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=_env(), capture_output=True, text=True)
    with log.open("a", encoding="utf-8") as out:
        took = time.perf_counter() - started
        out.write(f"$ {' '.join(map(str, args))}\n{done.stdout}{done.stderr}# exit {done.returncode}, {took:.1f} s\n")
    if done.returncode:
        raise RuntimeError(f"{args[0]} {args[1]} failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
    return done.stdout


def _ensure_venv(venv: Path, log: Path) -> str:
    """The Wagtail venv (made with ``python3 -m venv`` and pip on first use); returns the Wagtail version."""
    python = venv / "bin" / "python"
    probe = "import gunicorn, wagtail; print(wagtail.__version__)"
    if python.exists():
        with contextlib.suppress(RuntimeError):
            return _run([python, "-c", probe], log).strip()
        shutil.rmtree(venv)
    _run([sys.executable, "-m", "venv", venv], log)
    _run([python, "-m", "pip", "install", "--quiet", "wagtail", "gunicorn"], log)
    return _run([python, "-c", probe], log).strip()


def _write_articles(articles: Iterable[tuple[str, str, str, datetime]], path: Path) -> int:
    """One JSON line per article; repeated slugs get a ``-N`` suffix (Wagtail wants them unique per parent)."""
    seen: set[str] = set()
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for title, slug, summary, published in articles:
            if published.tzinfo is None:
                raise ValueError(f"first_published_at of {slug!r} has no time zone")
            unique, n = slug, 1
            while unique in seen:
                n += 1
                unique = f"{slug}-{n}"
            seen.add(unique)
            out.write(json.dumps([title, unique, summary, published.astimezone(UTC).isoformat()]) + "\n")
            count += 1
    return count


def _make_project(venv: Path, project: Path, log: Path) -> None:
    """``wagtail start`` plus the news app, API router and local settings from bench/wagtail_project/."""
    project.mkdir(parents=True)
    _run([venv / "bin" / "wagtail", "start", "newsbench", project], log)
    shutil.copytree(PROJECT_FILES / "news", project / "news", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_FILES / "api.py", project / "newsbench" / "api.py")
    shutil.copy(PROJECT_FILES / "local.py", project / "newsbench" / "settings" / "local.py")
    shutil.copy(PROJECT_FILES / "load_pages.py", project / "load_pages.py")
    python = venv / "bin" / "python"
    _run([python, "manage.py", "makemigrations", "news"], log, cwd=project)
    _run([python, "manage.py", "migrate", "--noinput"], log, cwd=project)
    _run([python, "manage.py", "collectstatic", "--noinput"], log, cwd=project)


def _files_digest() -> str:
    """A digest of bench/wagtail_project/, so that editing those files rebuilds the cached site."""
    digest = hashlib.sha256()
    for path in sorted(PROJECT_FILES.rglob("*.py")):
        digest.update(f"{path.relative_to(PROJECT_FILES)}\0".encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def build_site(articles: Iterable[tuple[str, str, str, datetime]], workdir: Path) -> WagtailSite:
    """Make or reuse the venv, project and pages under ``workdir``. The site is reused when it has as many pages
    (their content is not compared), the same Wagtail and the same bench/wagtail_project/ files; the returned
    WagtailSite has no base_url yet."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "build.log"
    started = time.perf_counter()
    version = _ensure_venv(workdir / "venv", log)
    count = _write_articles(articles, workdir / "articles.jsonl")
    project, state_file = workdir / "site", workdir / "site" / "built.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    key = {"pages": count, "version": version, "files": _files_digest()}
    if state and all(state.get(name) == value for name, value in key.items()):
        return WagtailSite("", version, count, 0.0, state["checks"])
    shutil.rmtree(project, ignore_errors=True)
    _make_project(workdir / "venv", project, log)
    out = _run([workdir / "venv" / "bin" / "python", "load_pages.py", workdir / "articles.jsonl"], log, cwd=project)
    checks = json.loads(out.strip().splitlines()[-1])
    if checks["news_pages"] != count or checks["tree_problems"] or checks["pages_without_news_row"]:
        raise RuntimeError(f"Wagtail does not accept the loaded pages: {checks}")
    seconds = round(time.perf_counter() - started, 1)
    state_file.write_text(json.dumps(key | {"seconds": seconds, "checks": checks}))
    return WagtailSite("", version, count, seconds, checks)


def _get(url: str, timeout: float = 30.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextlib.contextmanager
def wagtail_server(
    articles: Iterable[tuple[str, str, str, datetime]], workdir: Path, port: int, workers: int = 1
) -> Iterator[WagtailSite]:
    """Build (or reuse) the site, serve it with gunicorn on 127.0.0.1:``port`` with ``workers`` sync workers,
    wait until the listing answers 200, yield the WagtailSite, then stop gunicorn."""
    workdir = Path(workdir)
    site = build_site(articles, workdir)
    base_url = f"http://127.0.0.1:{port}"
    log = (workdir / "gunicorn.log").open("ab")
    command = [workdir / "venv" / "bin" / "gunicorn", "newsbench.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--chdir", workdir / "site"]
    command += ["--no-control-socket"]  # gunicorn 27 would otherwise share ~/.gunicorn/gunicorn.ctl between servers
    server = subprocess.Popen([str(c) for c in command], env=_env(), stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {server.returncode}; see {workdir / 'gunicorn.log'}")
            with contextlib.suppress(OSError):
                if _get(base_url + site.listing_path, timeout=5)[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"Wagtail did not answer within 60 s; see {workdir / 'gunicorn.log'}")
            time.sleep(0.2)
        yield WagtailSite(base_url, site.version, site.pages, site.build_seconds, site.checks)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def sample_articles(count: int) -> Iterator[tuple[str, str, str, datetime]]:
    """Generated articles for trying this by hand: Chinese titles, dates spread over the year up to 2026-11-26."""
    end = datetime(2026, 11, 26, 12, tzinfo=UTC)
    step = timedelta(days=365) / max(count, 1)
    for n in range(1, count + 1):
        yield f"第{n}条 昌平区新闻动态", f"news-{n}", f"第{n}条新闻的摘要。", end - step * (count - n)


def _wrk(url: str, seconds: int) -> float:
    """Requests/s that ``wrk -t1 -c16`` measures against ``url``. A sync gunicorn worker still answers the
    requests wrk left queued when it stopped: one more GET waits for that backlog before the next measurement."""
    command = ["wrk", "-t1", "-c16", f"-d{seconds}s", "--timeout", "60s", url]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    found = re.search(r"Requests/sec:\s*([\d.]+)", done.stdout)
    if not found:
        raise RuntimeError(done.stdout + done.stderr)
    for problem in re.findall(r"(Socket errors: .*|Non-2xx or 3xx responses: .*)", done.stdout):
        print(f"  wrk: {problem}")
    _get(url, timeout=300)
    return float(found.group(1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.wagtail_site", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--wrk", type=int, default=0, metavar="SECONDS", help="also measure each path with wrk")
    args = parser.parse_args(argv)
    with wagtail_server(sample_articles(args.pages), args.workdir, args.port, args.workers) as site:
        print(f"Wagtail {site.version}, {site.pages} pages, build {site.build_seconds} s, at {site.base_url}")
        print(f"checks: {json.dumps(site.checks, ensure_ascii=False)}")
        for path in (site.listing_path, site.newest_of_type_path):
            started = time.perf_counter()
            status, body = _get(site.base_url + path)
            took = (time.perf_counter() - started) * 1000
            data = json.loads(body) if status == 200 else {}
            titles = [item["title"] for item in data.get("items", [])[:3]]
            total = data.get("meta", {}).get("total_count")
            print(f"{path}\n  {status} in {took:.0f} ms, total_count={total}, first titles: {titles}")
            if args.wrk:
                print(f"  {_wrk(site.base_url + path, args.wrk):.1f} requests/s (wrk -t1 -c16 -d{args.wrk}s)")


if __name__ == "__main__":
    main()
