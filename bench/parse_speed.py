"""Parse speed and peak memory over a few hundred text reports (run by hand: `make bench`).

Input: the bundled sample reports, plus ../shared/seeds and ../shared/corpus text when present,
cycled to --count reports, parsed one after another in one process (one core). Each pass
re-reads the file from disk, so decoding and script conversion are measured too.

Two figures. *warm*: files cycled as they are, so every per-line cache hits from the second
round on. *cold* (the one held against the target): the line-level caches (cells and tokens
of a line) are emptied before each report, as if every report of the batch were new. The
label-level caches (normalised labels, label matches) are kept: table labels repeat from one
real report to the next, so a batch of distinct reports hits them too.

A third figure, *generated*: --generated (default 300) distinct sample reports written by
``nianbao sample`` (text and Markdown layouts, planted defects included), each parsed once
per round: a few hundred reports never seen before, with no cycling at all.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

from nianbao.cli import sample_reports
from nianbao.layout import tokens
from nianbao.pipeline import parse_file
from nianbao.sample.corpus import make_corpus

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def corpus() -> list[Path]:
    files = sample_reports()
    files += sorted((SHARED / "seeds").glob("*.txt"))
    files += sorted((SHARED / "corpus" / "cases").glob("*.txt"))
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--generated", type=int, default=300, help="distinct generated reports (0: skip)")
    args = parser.parse_args()
    files = corpus()
    # One untimed round first: templates, OpenCC dictionaries and the interpreter's own
    # specialisation settle in; without it whichever mode runs first reads ~20 % slow.
    for path in islice(cycle(files), args.count):
        parse_file(path)
    for mode in ("warm", "cold"):
        best = float("inf")
        for _ in range(args.rounds):  # the best round: the machine is shared, noise only adds time
            started = time.perf_counter()
            for path in islice(cycle(files), args.count):
                if mode == "cold":
                    tokens.clear_line_cache()
                parse_file(path)
            best = min(best, time.perf_counter() - started)
        print(f"{mode}: {args.count} reports from {len(files)} distinct files, best of {args.rounds} rounds "
              f"{best:.2f} s: {args.count / best:.0f} reports/s on one core, {1000 * best / args.count:.1f} ms each")
    if args.generated:
        with tempfile.TemporaryDirectory() as folder:
            make_corpus(Path(folder), args.generated, seed=11, formats=("txt", "md"))
            generated = sorted((Path(folder) / "cases").iterdir())
            best = float("inf")
            for _ in range(args.rounds):
                tokens.clear_line_cache()
                started = time.perf_counter()
                for path in generated:
                    parse_file(path)
                best = min(best, time.perf_counter() - started)
        print(f"generated: {len(generated)} distinct sample reports, best of {args.rounds} rounds {best:.2f} s: "
              f"{len(generated) / best:.0f} reports/s on one core, {1000 * best / len(generated):.1f} ms each")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mib:.0f} MiB")

if __name__ == "__main__":
    main()
