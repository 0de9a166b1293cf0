"""Hostile and broken inputs for nianbao, and a long fuzz run over them (``make fuzz``).

Every generator returns ``(name, bytes)`` pairs, one per input, each standing for a class of
failure seen in the wild (issue #11): text encodings cut or damaged, images with huge or
corrupt headers, damaged or hostile DOCX packages (deflate errors, malformed XML, entity
expansion, deep nesting, zip bombs), deep HTML, control characters and console markup in
report text, random bytes behind every magic number the sniffer knows, and truncations and
byte flips of sample reports in every format. ``tests/test_fuzz.py`` runs a bounded share of
them on every test run; this script runs many more through the real command line, in batches,
and reports the inputs tried, tracebacks, hangs (a batch over its time limit) and peak memory::

    .venv/bin/python bench/fuzz.py --rounds 20 --seed 1        # the figures in docs/fuzz.md
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

Case = tuple[str, bytes]

# Bytes that start each format the sniffer knows (nianbao.ingest.reader._MAGIC and its HTML test).
MAGICS: tuple[bytes, ...] = (b"%PDF-1.7\n", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\x89PNG\r\n\x1a\n",
                             b"\xff\xd8\xff\xe0", b"GIF89a", b"<!DOCTYPE html><html><body>", b"<?xml version='1.0'?>",
                             b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")


def sample_files(folder: Path, seed: int = 7) -> list[Path]:
    """One fictional sample report in each format (txt, md, html, docx, pdf)."""
    from nianbao.sample.corpus import SAMPLE_FORMATS, make_corpus

    files = []
    for fmt in SAMPLE_FORMATS:
        manifest = make_corpus(folder / fmt, 1, seed=seed, defect_share=0.0, formats=(fmt,))
        files.extend(folder / fmt / entry["source"] for entry in manifest)
    return files


def bundled_text() -> str:
    from nianbao.cli import sample_reports

    return sample_reports()[0].read_text(encoding="utf-8")


# --- text ---------------------------------------------------------------------------------

def utf16_cases(text: str) -> list[Case]:
    body = text.encode("utf-16-le")
    return [
        ("utf16-odd-length.txt", b"\xff\xfe" + body[:-1]),
        ("utf16-lone-surrogate.txt", b"\xff\xfe" + body[:200] + b"\x00\xd8" + body[200:]),
        ("utf16-be-junk.txt", b"\xfe\xff" + bytes(range(256)) * 4),
        ("utf16-bom-only.txt", b"\xff\xfe"),
    ]


def encoding_cases(text: str, rng: random.Random) -> list[Case]:
    utf8, gbk = text.encode("utf-8"), text.encode("gb18030")
    cases = [("utf8-cut-mid-character.txt", utf8[: len(utf8) // 2 + 1]),
             ("gbk-cut-mid-character.txt", gbk[: len(gbk) // 2 + 1]),
             ("mixed-utf8-gbk.txt", utf8[: len(utf8) // 2] + gbk[len(gbk) // 2:]),
             ("latin1-declared.txt", text.encode("utf-8").decode("latin-1").encode("utf-8"))]
    for index in range(3):
        cases.append((f"utf8-flipped-{index}.txt", flip(utf8, rng, rng.randint(1, 5))))
        cases.append((f"gbk-flipped-{index}.txt", flip(gbk, rng, rng.randint(1, 5))))
    return cases


def hostile_text_cases(text: str) -> list[Case]:
    """Control characters, terminal escapes and console markup inside a good report."""
    lines = text.splitlines()
    agency_line = next((i for i, line in enumerate(lines) if "局" in line or "政府" in line), 0)
    escapes = "\x1b]0;pwned\x07\x1b[2J\x1b[31m"
    variants = {
        "esc-in-agency.txt": {agency_line: lines[agency_line] + escapes},
        "controls-in-prose.txt": {len(lines) // 3: lines[len(lines) // 3] + "\x01\x08\x7f\x9b"},
        "markup-in-agency.txt": {agency_line: "[bold]" + lines[agency_line] + "[/]"},
        "markup-close-only.txt": {agency_line: lines[agency_line] + "[/]"},
        "formula-in-prose.txt": {len(lines) // 2: "=HYPERLINK(\"http://x\",\"y\")" + lines[len(lines) // 2]},
        "html-in-prose.txt": {len(lines) // 2: lines[len(lines) // 2] + "<script>alert(1)</script>"},
        "bidi-override.txt": {agency_line: "\u202e" + lines[agency_line]},
    }
    cases = []
    for name, changes in variants.items():
        changed = [changes.get(i, line) for i, line in enumerate(lines)]
        cases.append((name, "\n".join(changed).encode("utf-8")))
    return cases


# --- images --------------------------------------------------------------------------------

def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header(width: int, height: int, idat: bytes = b"") -> bytes:
    """A PNG whose header claims ``width``×``height`` (valid CRCs), with whatever data follows."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat or zlib.compress(b"\0" * 64))
            + _png_chunk(b"IEND", b""))


def image_cases(rng: random.Random) -> list[Case]:
    return [
        ("huge-header.png", png_header(100_000, 100_000)),
        ("bomb-20000.png", png_header(20_000, 20_000, zlib.compress(b"\0" * (20_001 * 64)))),
        ("zero-size.png", png_header(0, 0)),
        ("one-pixel.png", png_header(1, 1, zlib.compress(b"\0\0"))),
        ("truncated-idat.png", png_header(400, 300, zlib.compress(b"\0" * 1000))[:-30]),
        ("corrupt-crc.png", png_header(10, 10).replace(b"IHDR", b"IHDX")),
        ("jpeg-junk.jpg", b"\xff\xd8\xff\xe0" + rng.randbytes(2000)),
        ("jpeg-sof-huge.jpg", b"\xff\xd8\xff\xc0\x00\x11\x08\xff\xff\xff\xff\x03" + rng.randbytes(200)),
        ("gif-junk.gif", b"GIF89a" + rng.randbytes(500)),
    ]


# --- DOCX ----------------------------------------------------------------------------------

_CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                  b'2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                  b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
                  b'"/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
                  b'document.main+xml"/></Types>')
_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
         b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         b'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
_W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx_package(document_xml: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _RELS)
        package.writestr("word/document.xml", document_xml)
        for name, data in (extra or {}).items():
            package.writestr(name, data)
    return buffer.getvalue()


def _document(body: bytes) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?><w:document ' + _W + b"><w:body>" + body + b"</w:body></w:document>"


def _paragraph(text: str) -> bytes:
    return b"<w:p><w:r><w:t>" + text.encode("utf-8") + b"</w:t></w:r></w:p>"


def docx_cases(good_docx: bytes | None, rng: random.Random, bomb_mb: int = 300) -> list[Case]:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                         for i in range(1, 10))
              + b"]><w:document " + _W + b"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>")
    nested = b"<w:tbl><w:tr><w:tc>" * 2000 + _paragraph("信息公开") + b"</w:tc></w:tr></w:tbl>" * 2000
    cases = [
        ("malformed.docx", docx_package(_document(_paragraph("信息公开")).replace(b"</w:body>", b"<w:body>"))),
        ("wrong-encoding.docx", docx_package(_document(_paragraph("政府信息公开")).replace(b"UTF-8", b"UTF-16"))),
        ("billion-laughs.docx", docx_package(laughs)),
        ("external-entity.docx", docx_package(b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM '
                                              b'"file:///etc/passwd">]><w:document ' + _W + b"><w:body>"
                                              + b"<w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>")),
        ("nested-tables.docx", docx_package(_document(nested))),
        ("zip-bomb.docx", docx_package(_document(_paragraph("信息公开")),
                                       {"word/media/zeros.bin": b"\0" * (bomb_mb << 20)})),
        ("no-document.docx", docx_package(b"")),
        ("empty-zip.docx", zipfile_bytes({})),
        ("zip-junk.docx", b"PK\x03\x04" + rng.randbytes(3000)),
        ("odt-junk.odt", zipfile_bytes({"mimetype": b"application/vnd.oasis.opendocument.text",
                                        "content.xml": rng.randbytes(500)})),
    ]
    if good_docx is not None:
        cases += [(f"deflate-flipped-{i}.docx", flip_deflate(good_docx, rng)) for i in range(3)]
        cases += [(f"docx-cut-{i}.docx", good_docx[: int(len(good_docx) * f)]) for i, f in enumerate((0.3, 0.7, 0.99))]
    return cases


def zipfile_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    return buffer.getvalue()


def flip_deflate(package: bytes, rng: random.Random) -> bytes:
    """One changed bit inside the compressed data of word/document.xml."""
    return _flip_member(package, "word/document.xml", rng)


def xlsx_cases(rng: random.Random) -> list[Case]:
    """Excel workbooks (a blank template workbook) cut, flipped, and with hostile XML."""
    from nianbao.render.workbook import blank_workbook

    book = blank_workbook(2023, "青川县示范局")
    laughs = zipfile_bytes({"[Content_Types].xml": b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa">]><t/>',
                            "xl/workbook.xml": b"<workbook/>"})
    return [("workbook-cut.xlsx", book[: len(book) // 2]), ("workbook-flipped.xlsx", flip(book, rng, 3)),
            ("workbook-deflate.xlsx", _flip_member(book, "xl/workbook.xml", rng)), ("workbook-entities.xlsx", laughs)]


def _flip_member(package: bytes, member: str, rng: random.Random) -> bytes:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        info = archive.getinfo(member)
    name_length, extra_length = struct.unpack("<HH", package[info.header_offset + 26: info.header_offset + 30])
    start = info.header_offset + 30 + name_length + extra_length
    data = bytearray(package)
    data[start + rng.randrange(max(1, info.compress_size))] ^= 1 << rng.randrange(8)
    return bytes(data)


# --- HTML ----------------------------------------------------------------------------------

def html_cases(text: str) -> list[Case]:
    body = "".join(f"<p>{line}</p>" for line in text.splitlines())
    cases = []
    for depth in (300, 3000):
        cases.append((f"deep-{depth}.html", ("<html><body>" + "<div>" * depth + body + "</div>" * depth
                                            + "</body></html>").encode("utf-8")))
    cases.append(("unclosed-tags.html", ("<html><body>" + "<table><tr><td>" * 500 + body).encode("utf-8")))
    cases.append(("wrong-charset.html", b'<html><head><meta charset="utf-99"></head><body>' + body.encode("gb18030")))
    cases.append(("html-entities.html", b'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY a "aaaaaaaaaa">]><html>'
                  b"<body>&a;&a;&a;" + body.encode("utf-8") + b"</body></html>"))
    return cases


# --- generic damage ------------------------------------------------------------------------

def flip(data: bytes, rng: random.Random, count: int) -> bytes:
    changed = bytearray(data)
    for _ in range(count):
        changed[rng.randrange(len(changed))] = rng.randrange(256)
    return bytes(changed)


def magic_cases(rng: random.Random, size: int = 2000) -> list[Case]:
    return [(f"magic-{i}-random.bin", magic + rng.randbytes(rng.randint(0, size))) for i, magic in enumerate(MAGICS)]


def damaged_samples(files: list[Path], rng: random.Random, per_file: int = 4) -> list[Case]:
    """Truncations and byte flips of sample reports (every format)."""
    cases = []
    for path in files:
        data = path.read_bytes()
        for index in range(per_file):
            if index % 2 == 0:
                damaged = data[: max(1, int(len(data) * rng.uniform(0.05, 0.99)))]
                kind = "cut"
            else:
                damaged = flip(data, rng, rng.randint(1, 8))
                kind = "flip"
            cases.append((f"{path.stem}-{kind}{index}{path.suffix}", damaged))
    return cases


def all_cases(rng: random.Random, files: list[Path], text: str, bomb_mb: int = 300) -> Iterator[Case]:
    good_docx = next((p.read_bytes() for p in files if p.suffix == ".docx"), None)
    yield from utf16_cases(text)
    yield from encoding_cases(text, rng)
    yield from hostile_text_cases(text)
    yield from image_cases(rng)
    yield from docx_cases(good_docx, rng, bomb_mb)
    yield from html_cases(text)
    yield from xlsx_cases(rng)
    yield from magic_cases(rng)
    yield from damaged_samples(files, rng)


# Names a file system holds that are not valid UTF-8, carry escapes or console markup.
HOSTILE_NAMES: tuple[bytes, ...] = (b"bad-\xff\xfe-name.txt", b"esc-\x1b]0;title\x07.txt", b"[bold]markup.txt",
                                    b"x[red]y[link=z].txt", b"new\nline.txt", b"=cmd()|formula.txt")


# --- the long run --------------------------------------------------------------------------

def run_batches(folder: Path, batch_size: int, timeout_s: int, extra: list[Path]) -> tuple[int, list[str], int, int]:
    """Every file of ``folder`` through ``nianbao check --format json`` in batches, with good
    reports mixed in. Returns (batches, problems, hangs, inputs read as reports)."""
    files = sorted(folder.iterdir())
    problems: list[str] = []
    hangs = 0
    batches = 0
    read = 0
    command = [sys.executable, "-m", "nianbao"]
    for start in range(0, len(files), batch_size):
        chunk = [*files[start: start + batch_size], *extra]
        batches += 1
        with tempfile.TemporaryDirectory() as out:
            args = [*command, "check", "--format", "json", "--html", f"{out}/r.html", "--xlsx", f"{out}/r.xlsx",
                    *map(str, chunk)]
            try:
                result = subprocess.run(args, capture_output=True, timeout=timeout_s)
            except subprocess.TimeoutExpired:
                hangs += 1
                problems.append(f"hang: batch from {files[start].name}")
                continue
        stderr = result.stderr.decode("utf-8", "replace")
        if "Traceback" in stderr or "内部错误" in stderr or result.returncode not in (0, 1, 2):
            problems.append(f"exit {result.returncode}: {stderr[-800:]}")
        try:
            lines = result.stdout.decode("utf-8").splitlines()
        except UnicodeDecodeError:
            problems.append("stdout is not valid UTF-8")
            lines = []
        good = sum(1 for line in lines if any(str(p.name) in line for p in extra))
        if good < len(extra):
            problems.append(f"good reports lost in a batch: {good}/{len(extra)}")
        read += len(lines) - good
    return batches, problems, hangs, read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10, help="rounds of generated inputs (new random damage each)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=60, help="inputs per command run")
    parser.add_argument("--timeout", type=int, default=300, help="seconds a batch may take before it counts as a hang")
    options = parser.parse_args()
    rng = random.Random(options.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nianbao-fuzz-") as work:
        root = Path(work)
        samples = sample_files(root / "samples", seed=options.seed)
        good = [root / "good" / f"good-{i}{p.suffix}" for i, p in enumerate(samples)]
        good[0].parent.mkdir()
        for source, target in zip(samples, good, strict=True):
            target.write_bytes(source.read_bytes())
        text = bundled_text()
        inputs = root / "inputs"
        inputs.mkdir()
        total = 0
        for round_number in range(options.rounds):
            for name, data in all_cases(rng, samples, text, bomb_mb=300 if round_number == 0 else 1):
                (inputs / f"r{round_number:02d}-{name}").write_bytes(data)
                total += 1
        for index, raw in enumerate(HOSTILE_NAMES):
            os.makedirs(os.fsencode(inputs), exist_ok=True)
            with open(os.path.join(os.fsencode(inputs), b"name%d-" % index + raw), "wb") as handle:
                handle.write(text.encode("utf-8"))
            total += 1
        batches, problems, hangs, read = run_batches(inputs, options.batch, options.timeout, good)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"inputs {total} (read as reports {read}, refused {total - read})  batches {batches}  "
          f"problems (tracebacks, internal errors, lost reports) {len(problems) - hangs}  hangs {hangs}  "
          f"peak memory of one run {peak_mb:.0f} MB  time {elapsed:.0f} s")
    for problem in problems:
        print("  " + problem.replace("\n", "\n    "))
    if problems:
        raise SystemExit(1)


GENERATORS: dict[str, Callable[..., list[Case]]] = {
    "utf16": utf16_cases, "encoding": encoding_cases, "hostile_text": hostile_text_cases, "image": image_cases,
    "docx": docx_cases, "html": html_cases, "xlsx": xlsx_cases, "magic": magic_cases,
}

if __name__ == "__main__":
    main()
