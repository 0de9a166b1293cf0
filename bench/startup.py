"""Start-up of `nianbao parse one.txt` (issue #12: ≤ 0.25 s wall), run by hand.

Wall time of --runs runs of each output (text, json), interleaved, as median and range, with the
load average before and after (the machine is shared: the median of many runs is the figure to
quote, and the load with it). Then the import tree of one run (`python -X importtime`), its
cumulative microseconds for the heaviest modules: that one is robust to the load, to compare
code before and after.

    python bench/startup.py [--runs 20] [--file report.txt] [--top 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILE = ROOT / "src" / "nianbao" / "samples" / "2023-qingchuan-market-bureau.txt"


def load() -> str:
    path = Path("/proc/loadavg")
    return " ".join(path.read_text().split()[:3]) if path.exists() else "?"


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def import_tree(command: list[str], top: int) -> list[tuple[int, int, str]]:
    """(cumulative µs, self µs, module) of one run's heaviest imports; the first row is the sum of
    the top-level imports (the whole run's import time), named "(all)"."""
    done = subprocess.run([sys.executable, "-X", "importtime", *command], capture_output=True, text=True,
                          check=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, total, name = line.removeprefix("import time:").split("|")
        rows.append((int(total), int(own), name.rstrip()))
    # Top-level rows (no indent) also catch what a command imports lazily, e.g. typer's adapters.
    whole = sum(total for total, _, name in rows if not name.startswith("  "))
    return [(whole, 0, "(all)"), *sorted(rows, reverse=True)[:top]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    nianbao = str(Path(sys.executable).with_name("nianbao"))
    commands = {"text": [nianbao, "parse", str(args.file)],
                "json": [nianbao, "parse", "--format", "json", str(args.file)]}
    for command in commands.values():  # one untimed run each: the template cache written, files in the page cache
        wall(command)
    print(f"load before: {load()}  ({os.cpu_count()} cores)")
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            times[name].append(wall(command))
    print(f"load after:  {load()}")
    for name, runs in times.items():
        print(f"parse {name:4}: median {statistics.median(runs):.3f} s  (min {min(runs):.3f}, max {max(runs):.3f}, "
              f"{len(runs)} runs)")
    print("\n-X importtime, parse --format json, cumulative µs (self µs):")
    tree = import_tree(["-m", "nianbao", "parse", "--format", "json", str(args.file)], args.top)
    for total, own, name in tree:
        print(f"{total:>9} {own:>8}  {name}")
    # Packages one text file does not need (issue #12): the figure to keep at 0 for each.
    unneeded = ("pydantic", "numpy", "charset_normalizer")
    probe = "import runpy, sys; sys.argv[0] = 'nianbao'\ntry:\n    runpy.run_module('nianbao', run_name='__main__')\n" \
            "except SystemExit:\n    pass\n" \
            f"sys.stderr.write(' '.join(str(sum(m.split('.')[0] == p for m in sys.modules)) for p in {unneeded!r}))"
    done = subprocess.run([sys.executable, "-c", probe, "parse", "--format", "json", str(args.file)],
                          capture_output=True, text=True, check=True)
    for package, count in zip(unneeded, done.stderr.split() or ["?"] * len(unneeded), strict=True):
        print(f"{package} modules imported by parse --format json: {count}")


if __name__ == "__main__":
    main()
