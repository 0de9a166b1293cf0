"""`nianbao parse --format json` over many generated text reports, end to end (run by hand).

    .venv/bin/python bench/parse_json.py --count 1000
    .venv/bin/python bench/parse_json.py --count 10000 --stream   # the #12 target: ≥ 540 reports/s, ≤ 1 GB

Writes a sample corpus of --count text reports (``nianbao sample --formats txt``) unless
--corpus (default /tmp/nianbao-bench-COUNT, kept for the next run) already holds one, then
runs ``nianbao parse --format json`` (workers: one per core) on its cases folder as a
subprocess, reading its JSON Lines as they come: wall time, reports/s, the time to the first
line (with --stream: as soon as the first report is done; without: after the batch rules),
the lines printed, the CPU seconds of the command and its workers (per report too: the
steadier figure on a shared machine), the peak memory of the largest process and
/proc/loadavg before and after. Results go into docs/benchmarks.md by hand.
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
    parser.add_argument("--corpus", type=Path, default=None,
                        help="folder for the corpus (default /tmp/nianbao-bench-COUNT, kept for reuse)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stream", action="store_true", help="pass --stream (lines as each report is done)")
    args = parser.parse_args()
    corpus = args.corpus or Path(tempfile.gettempdir()) / f"nianbao-bench-{args.count}"
    manifest = corpus / "manifest.json"
    generated = not manifest.exists() or len(json.loads(manifest.read_text())) != args.count
    if generated:
        subprocess.run([sys.executable, "-m", "nianbao", "sample", "-n", str(args.count), "-o", str(corpus),
                        "--seed", str(args.seed), "--formats", "txt", "--defects", "0.3"], check=True)
    command = [sys.executable, "-m", "nianbao", "parse", "--format", "json", str(corpus / "cases")]
    if args.stream:
        command.insert(4, "--stream")
    load_before = _loadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # the corpus generator's CPU is not the parse's
    started = time.perf_counter()
    first: float | None = None
    lines = 0
    with subprocess.Popen(command, stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        for _ in proc.stdout:
            if first is None:
                first = time.perf_counter() - started
            lines += 1
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"nianbao parse exited {proc.returncode}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    print(json.dumps({"reports": args.count, "stream": args.stream, "wall_s": round(wall, 1),
                      "reports_per_s": round(args.count / wall, 1), "cpu_s": round(cpu, 1),
                      "cpu_ms_per_report": round(1000 * cpu / args.count, 2),
                      "first_line_s": round(first, 2) if first is not None else None, "lines": lines,
                      # the largest child process so far: the corpus generator's too when it ran (see "generated")
                      "peak_rss_mib": round(usage.ru_maxrss / 1024), "generated": generated,
                      "loadavg_before": load_before, "loadavg_after": _loadavg()}, ensure_ascii=False))


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
