"""Parse speed and peak memory over a few hundred text reports (run by hand: `make bench`).

Input: the bundled sample reports, plus ../shared/seeds and ../shared/corpus text when present,
cycled to --count reports, parsed one after another in one process (one core). Each pass
re-reads the file from disk, so decoding and script conversion are measured too.
"""

from __future__ import annotations

import argparse
import resource
import time
from itertools import cycle, islice
from pathlib import Path

from nianbao.cli import sample_reports
from nianbao.pipeline import parse_file

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def corpus() -> list[Path]:
    files = sample_reports()
    files += sorted((SHARED / "seeds").glob("*.txt"))
    files += sorted((SHARED / "corpus" / "cases").glob("*.txt"))
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=400)
    args = parser.parse_args()
    files = corpus()
    parse_file(files[0])  # warm the caches (templates, OpenCC dictionaries)
    started = time.perf_counter()
    for path in islice(cycle(files), args.count):
        parse_file(path)
    elapsed = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.count} reports from {len(files)} distinct files in {elapsed:.2f} s: "
          f"{args.count / elapsed:.0f} reports/s on one core, {1000 * elapsed / args.count:.1f} ms each; "
          f"peak RSS {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
