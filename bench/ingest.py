"""Ingest speed, memory and database size over generated text reports (run by hand).

    .venv/bin/python bench/ingest.py --count 1000 --jobs 2
    .venv/bin/python bench/ingest.py --count 100000 --jobs 2 --corpus /tmp/c100k   # reuses the corpus

Writes a sample corpus of --count text reports (``nianbao sample --formats txt``) unless
--corpus already holds one, then runs ``nianbao ingest`` on it into a fresh SQLite file as a
subprocess, and reports wall time, reports/s, time per report, CPU time per report (the
ingest and its workers), the peak memory of the ingest process tree (ru_maxrss of the
largest process), the database size per report, /proc/loadavg at start and end, and the
reports stored per interval (--every seconds; a count of the store read alongside), which
shows whether the time per report grows with the store. Results go into docs/benchmarks.md
by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--corpus", type=Path, default=None, help="folder for the corpus (kept for reuse)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--every", type=float, default=60.0, help="seconds between store counts")
    args = parser.parse_args()
    corpus = args.corpus or Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    cases = corpus / "cases"
    if not (corpus / "manifest.json").exists() or len(json.loads((corpus / "manifest.json").read_text())) \
            != args.count:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "nianbao", "sample", "-n", str(args.count), "-o", str(corpus),
                        "--seed", str(args.seed), "--formats", "txt", "--defects", "0.3"], check=True)
        print(f"corpus: {args.count} reports in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    db = corpus / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    load_start = _load()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "nianbao", "ingest", str(cases), "--db", str(db), "--jobs",
                                str(args.jobs), "--quiet"])
    intervals = []
    last = (0.0, 0)
    while process.poll() is None:
        try:
            process.wait(timeout=args.every)
        except subprocess.TimeoutExpired:
            elapsed, stored = time.perf_counter() - started, _stored(db)
            if stored < last[1]:  # the count could not be read this time
                continue
            intervals.append({"t_s": round(elapsed), "stored": stored,
                              "per_s": round((stored - last[1]) / (elapsed - last[0]), 1), "load": _load()})
            print(json.dumps(intervals[-1]), file=sys.stderr, flush=True)
            last = (elapsed, stored)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"ingest exited {process.returncode}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mib = usage.ru_maxrss / 1024
    size = sum(Path(f"{db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db}{s}").exists())
    print(json.dumps({"reports": args.count, "jobs": args.jobs, "wall_s": round(wall, 1),
                      "reports_per_s": round(args.count / wall, 1), "ms_per_report": round(1000 * wall / args.count, 2),
                      "cpu_ms_per_report": round(1000 * (usage.ru_utime + usage.ru_stime) / args.count, 2),
                      "peak_rss_mib": round(peak_mib), "db_bytes_per_report": round(size / args.count),
                      "load_start": load_start, "load_end": _load(), "intervals": intervals}))


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _stored(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM reports").fetchone()[0])
    except sqlite3.Error:  # not created yet, or busy
        return 0

if __name__ == "__main__":
    main()
