"""`uv run python -m bench`: build the data sets, start the servers, drive them, print the goals table.

`--quick` uses tiny data and short runs (the test suite runs it so bench/ never rots); its figures mean
nothing. `--write` adds the table, dated and with the machine's description, to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import goals
from bench.data import build
from bench.goals import Row, Run
from bench.load import WRK

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
FULL = {"articles_n": 1_000_000, "inquiries_n": 1_000_000, "residents_n": 1_000_000, "tokens": 5_000}
QUICK = {"articles_n": 2_000, "inquiries_n": 2_000, "residents_n": 1_000, "tokens": 400}
SMALL = {"articles_n": 1_000, "inquiries_n": 1_000, "residents_n": 1_000, "tokens": 10}


def _postgres_database(name: str, fresh: bool) -> str | None:
    """The URL of a bench database on the local PostgreSQL server (made here), or None when unreachable."""
    import asyncio

    async def make() -> str | None:
        import asyncpg

        try:
            conn = await asyncpg.connect(f"{POSTGRES_SERVER}/test", timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return None
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if exists and fresh:
                await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                exists = False
            if not exists:
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return f"{POSTGRES_SERVER}/{name}"

    return asyncio.run(make())


def compile_bytecode() -> None:
    """Compile every module to bytecode first, as `pip install` does for a deployment (uv needs
    --compile-bytecode); otherwise start-up would time the compiler whenever PYTHONDONTWRITEBYTECODE is set."""
    import site
    import subprocess

    folders = [*site.getsitepackages(), str(ROOT / "src"), str(ROOT / "plugins"), str(ROOT / "bench")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", *folders], check=False, capture_output=True)


def table(rows: list[Row]) -> str:
    """The results as a Markdown table."""
    mark = {True: "pass", False: "FAIL", None: ""}
    lines = ["| figure | newsplus | reference | ratio | goal | result |", "|---|---|---|---|---|---|"]
    lines += [f"| {r.figure} | {r.newsplus} | {r.reference} | {r.ratio} | {r.goal} | {mark[r.passed]} |" for r in rows]
    return "\n".join(lines)


def machine() -> str:
    """One line about the machine and the tools that measured."""
    cores = os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.machine()}, {cores} cores, {memory:.0f} GiB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load by {'wrk' if WRK else 'a Python generator'}"
    )


def main() -> None:
    """Run the benchmarks and print the goals table."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny data, short runs: checks the runner works")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".bench", help="where data sets and logs live")
    parser.add_argument("--seconds", type=float, default=10, help="length of each load run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (same for both)")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL figures")
    parser.add_argument("--no-wagtail", action="store_true", help="skip the Wagtail comparison")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator even if wrk is here")
    parser.add_argument("--only", default="", help="comma-separated goals to run, e.g. P1,P3")
    parser.add_argument("--write", action="store_true", help="add the table to docs/performance.md")
    args = parser.parse_args()

    sizes = QUICK if args.quick else FULL
    seconds, connections = (1.0, 8) if args.quick else (args.seconds, args.connections)
    work = args.workdir / ("quick" if args.quick else "full")
    if args.quick and work.exists():
        shutil.rmtree(work)
    run = Run(
        seconds=seconds,
        connections=connections,
        workers=args.workers,
        logs=work / "logs",
        python_load=args.python_load,
        per_core=not args.quick,
    )
    only = {g.strip().upper() for g in args.only.split(",") if g.strip()}

    def wanted(goal: str) -> bool:
        return not only or goal in only

    began = time.perf_counter()
    compile_bytecode()
    print(f"building the data sets in {work} …", file=sys.stderr)
    big = build(f"sqlite:///{work / 'big.sqlite3'}", work / "big", **sizes)
    rows: list[Row] = []
    if wanted("P1") or wanted("P6"):
        rows += goals.feed_goals(run, big, "SQLite")
    if wanted("P5"):  # before P3's writes, whose events a core-only server could not deliver
        rows += goals.plugins_goal(run, big)
    if wanted("P3"):
        rows += goals.intake_goals(run, big, "SQLite")
    if wanted("P4"):
        small = build(f"sqlite:///{work / 'small.sqlite3'}", work / "small", **SMALL)
        rows += goals.reach_goal(run, small, big)
    if wanted("P2") and not args.no_wagtail and not args.quick:
        from bench import wagtail

        rows += wagtail.wagtail_goals(run, args.workdir / "wagtail", 100_000)
    if (wanted("P1") or wanted("P3")) and not args.no_postgres:
        url = _postgres_database("newsplus_bench_quick" if args.quick else "newsplus_bench", fresh=args.quick)
        if url is None:
            print("PostgreSQL is not reachable at 127.0.0.1:5432: its figures are left out", file=sys.stderr)
        else:
            pg = build(url, work / "postgres", **sizes)
            if wanted("P1"):
                rows += goals.feed_goals(run, pg, "PostgreSQL")
            if wanted("P3"):
                rows += goals.intake_goals(run, pg, "PostgreSQL")
    result = table(rows)
    print(result)
    print(f"\n{machine()}; {time.perf_counter() - began:.0f} s in all", file=sys.stderr)
    if args.write:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        with (ROOT / "docs" / "performance.md").open("a", encoding="utf-8") as docs:
            docs.write(
                f"\n### Run of {stamp}\n\n{machine()}; {run.workers} worker(s), {connections} connections, "
                f"{seconds:.0f} s per load run.\n\n{result}\n"
            )
    if any(r.passed is False for r in rows) and not args.quick:
        sys.exit(1)


if __name__ == "__main__":
    main()
