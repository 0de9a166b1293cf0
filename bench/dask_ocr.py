"""Dask scaling on scanned PDFs: `nianbao ingest --scheduler` with 1 worker against 2 (run by hand).

    .venv/bin/python bench/dask_ocr.py --reports 4

Generated reports are rendered to PDF and rasterised to image-only PDFs (as in
bench/format_speed.py), so every page goes through OCR (seconds a page). Each run ingests
the same scans into a fresh SQLite file through a LocalCluster of N single-threaded worker
processes, with NIANBAO_OCR_THREADS=1 so that each worker's OCR engine keeps to one core
(by default onnxruntime spreads one page over every core, and one worker already takes the
machine). Workers are warmed first (imports, OCR models); the time is the ingest alone.
Prints one JSON line per run and the speed-up; results go into docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path


def _scans(work: Path, count: int) -> list[Path]:
    import pypdfium2

    from nianbao.ingest.ocr import RENDER_DPI
    from nianbao.render import ReportData, render
    from nianbao.sample.values import report_values
    from nianbao.templates import load_template

    rng = random.Random(1)
    template = load_template("2021")
    scans = []
    for index in range(count):
        report = ReportData.model_validate({"meta": {"year": 2023, "agency": f"青川县示范局{index}"},
                                            "values": report_values(template, rng, size=rng.choice((20, 200, 900)))})
        printed = work / f"printed{index}.pdf"
        printed.write_bytes(render(report, "pdf"))
        document = pypdfium2.PdfDocument(str(printed))
        pages = [document[i].render(scale=RENDER_DPI / 72).to_pil().convert("RGB") for i in range(len(document))]
        document.close()
        scan = work / "scans" / f"scan{index}.pdf"
        scan.parent.mkdir(exist_ok=True)
        pages[0].save(scan, save_all=True, append_images=pages[1:], resolution=RENDER_DPI)
        scans.append(scan)
    return scans


def _warm() -> None:
    from nianbao.ingest.ocr import _engine
    from nianbao.pipeline import parse_file  # noqa: F401  (the worker's imports)

    _engine()


def _cpu() -> float:
    return time.process_time()  # the worker process's CPU seconds (all its threads)


def _run(scans: list[Path], db: Path, workers: int) -> dict[str, object]:
    from distributed import Client, LocalCluster

    from nianbao.store.db import open_store
    from nianbao.store.ingest import ingest

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        client.run(_warm)
        load = Path("/proc/loadavg").read_text().split()[:3]
        before = sum(client.run(_cpu).values())
        started, cpu = time.perf_counter(), time.process_time()
        summary = ingest(open_store(str(db)), scans, scheduler=cluster.scheduler_address)
        wall = time.perf_counter() - started
        worker_cpu = sum(client.run(_cpu).values()) - before
    # The cores the workers actually got: on a shared machine two workers may not get two.
    return {"workers": workers, "reports": summary.stored, "failed": len(summary.failed), "wall_s": round(wall, 1),
            "s_per_report": round(wall / len(scans), 2), "worker_cpu_s": round(worker_cpu, 1),
            "cores_obtained": round(worker_cpu / wall, 2), "writer_cpu_s": round(time.process_time() - cpu, 2),
            "load_before": " ".join(load), "load_after": " ".join(Path("/proc/loadavg").read_text().split()[:3])}


def _values(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT r.sha256, v.key, v.value FROM report_values v JOIN reports r ON r.id = v.report_id "
                            "ORDER BY 1, 2").fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=4, help="scanned reports (a few pages each)")
    parser.add_argument("--threads", default="1", help="NIANBAO_OCR_THREADS for the workers")
    args = parser.parse_args()
    os.environ["NIANBAO_OCR_THREADS"] = args.threads  # inherited by the worker processes
    work = Path(tempfile.mkdtemp(prefix="nianbao-dask-ocr-"))
    scans = _scans(work, args.reports)
    pages = _pages(scans)
    runs = {}
    for workers in (1, 2):
        runs[workers] = _run(scans, work / f"w{workers}.db", workers)
        print(json.dumps({**runs[workers], "pages": pages}, ensure_ascii=False), flush=True)
    same = _values(work / "w1.db") == _values(work / "w2.db")
    speedup = float(runs[1]["wall_s"]) / float(runs[2]["wall_s"])  # type: ignore[arg-type]
    cores = float(runs[2]["cores_obtained"]) / float(runs[1]["cores_obtained"])  # type: ignore[arg-type]
    print(json.dumps({"speedup_2_vs_1": round(speedup, 2), "cores_2_vs_1": round(cores, 2),
                      "same_values": same, "ocr_threads": args.threads}))


def _pages(scans: list[Path]) -> int:
    import pypdfium2

    total = 0
    for scan in scans:
        document = pypdfium2.PdfDocument(str(scan))
        total += len(document)
        document.close()
    return total


if __name__ == "__main__":
    main()
