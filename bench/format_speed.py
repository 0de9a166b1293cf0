"""Speed per input format (run by hand: `make bench`; results go into docs/benchmarks.md).

Reports are generated (nianbao.sample) and rendered by nianbao itself: HTML and DOCX per
report, text-layer PDF per page (target ≥ 20 pages/s on one core), and scans per page
against the OCR engine's own time on the same page images (target ≤ 1.2×). The published
PDF in ../shared/corpus is timed too when present.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from nianbao.pipeline import parse_file
from nianbao.render import ReportData, render
from nianbao.sample.values import report_values
from nianbao.templates import load_template

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _reports(count: int) -> list[ReportData]:
    rng = random.Random(1)
    template = load_template("2021")
    return [ReportData.model_validate({"meta": {"year": 2023, "agency": f"青川县示范局{i}"},
                                       "values": report_values(template, rng, size=rng.choice((20, 200, 900)))})
            for i in range(count)]


def _time(paths: list[Path]) -> float:
    started = time.perf_counter()
    for path in paths:
        parse_file(path)
    return time.perf_counter() - started


def _pages(path: Path) -> int:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return len(pdf.pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20, help="reports per format")
    parser.add_argument("--scans", type=int, default=2, help="scanned reports (slow: OCR)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    reports = _reports(args.count)
    parse_file(_write(work, "warm.pdf", render(reports[0], "pdf")))  # imports, fonts, caches
    for fmt in ("html", "docx", "pdf"):
        paths = [_write(work, f"{i}.{fmt}", render(r, fmt)) for i, r in enumerate(reports)]
        elapsed = _time(paths)
        if fmt == "pdf":
            pages = sum(_pages(p) for p in paths)
            print(f"pdf (text layer): {pages} pages in {elapsed:.2f} s: {pages / elapsed:.1f} pages/s, "
                  f"{1000 * elapsed / pages:.0f} ms/page")
        else:
            print(f"{fmt}: {len(paths)} reports in {elapsed:.2f} s: {len(paths) / elapsed:.1f} reports/s")
    published = SHARED / "corpus" / "cases" / "huaian-city-2024.pdf"
    if published.exists():
        elapsed = _time([published] * 3)
        pages = 3 * _pages(published)
        print(f"published PDF (huaian-city-2024.pdf): {pages / elapsed:.1f} pages/s")
    if args.scans:
        _bench_scans(work, reports[: args.scans])


def _bench_scans(work: Path, reports: list[ReportData]) -> None:
    import numpy
    import pypdfium2

    from nianbao.ingest.ocr import RENDER_DPI, _engine

    engine = _engine()
    scans, images = [], []
    for index, report in enumerate(reports):
        printed = _write(work, f"printed{index}.pdf", render(report, "pdf"))
        document = pypdfium2.PdfDocument(str(printed))
        pages = [document[i].render(scale=RENDER_DPI / 72).to_pil().convert("RGB") for i in range(len(document))]
        document.close()
        scan = work / f"scan{index}.pdf"
        pages[0].save(scan, save_all=True, append_images=pages[1:], resolution=RENDER_DPI)
        scans.append(scan)
        images += pages
    started = time.perf_counter()
    for image in images:
        engine(numpy.asarray(image), use_det=True, use_cls=False, use_rec=True)
    engine_time = time.perf_counter() - started
    ours = _time(scans)
    n = len(images)
    print(f"scans: {n} pages; OCR engine alone {engine_time / n:.1f} s/page; nianbao end to end "
          f"{ours / n:.1f} s/page ({ours / engine_time:.2f}× the engine)")


def _write(folder: Path, name: str, blob: bytes) -> Path:
    path = folder / name
    path.write_bytes(blob)
    return path


if __name__ == "__main__":
    main()
