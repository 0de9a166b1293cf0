"""Ingest speed, memory and database size over generated text reports (run by hand).

    .venv/bin/python bench/ingest.py --count 1000 --jobs 2
    .venv/bin/python bench/ingest.py --count 100000 --jobs 2 --corpus /tmp/c100k   # reuses the corpus

Writes a sample corpus of --count text reports (``nianbao sample --formats txt``) unless
--corpus already holds one, then runs ``nianbao ingest`` on it into a fresh SQLite file as a
subprocess, and reports wall time, reports/s, time per report, the peak memory of the
ingest process tree (ru_maxrss of the largest process), and the database size per report.
Results go into docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nianbao", "ingest", str(cases), "--db", str(db), "--jobs",
                    str(args.jobs), "--quiet"], check=True)
    wall = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = sum(Path(f"{db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db}{s}").exists())
    load = os.getloadavg()[0]
    print(json.dumps({"reports": args.count, "jobs": args.jobs, "wall_s": round(wall, 1),
                      "reports_per_s": round(args.count / wall, 1), "ms_per_report": round(1000 * wall / args.count, 2),
                      "peak_rss_mib": round(peak_mib), "db_bytes_per_report": round(size / args.count),
                      "load_average_1min": round(load, 1)}))


if __name__ == "__main__":
    main()
