"""The plain terminal view draws what rich drew (so `parse` and `show` look as before), without rich."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table

from nianbao.pipeline import parse_file
from nianbao.render_text import print_findings, print_report
from nianbao.text_table import Column, Screen, cell_len, draw_table, set_cell_size

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "src" / "nianbao" / "samples").glob("*.txt"))

_words = st.text(alphabet=st.sampled_from("ab1 ：、表一二三四五六七八九十申请数量（）:·*—"), max_size=30)


def _rich(title: str, columns: list[Column], rows: list[list[str]], width: int) -> str:
    out = io.StringIO()
    view = Table(title=title, show_lines=False, title_justify="left")
    for column in columns:
        view.add_column(column.header, justify="right" if column.right else "left")
    for row in rows:
        view.add_row(*row)
    Console(file=out, width=width, soft_wrap=True, emoji=False).print(view)
    return out.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), width=st.integers(min_value=30, max_value=140))
def test_a_table_is_drawn_as_rich_draws_it(data: st.DataObject, width: int) -> None:
    count = data.draw(st.integers(min_value=1, max_value=8))
    columns = [Column(data.draw(_words), right=data.draw(st.booleans())) for _ in range(count)]
    rows = data.draw(st.lists(st.lists(_words, min_size=count, max_size=count), max_size=6))
    title = data.draw(_words.filter(lambda t: t.strip() != ""))
    mine = io.StringIO()
    screen = Screen(file=mine, width=width)
    for line in draw_table(title, columns, rows, screen):
        screen.line(line)
    assert mine.getvalue() == _rich(title, columns, rows, width)


def test_reports_and_findings_as_rich_printed_them() -> None:
    """The same report through a rich console (as `nianbao show` passes one) and a plain screen."""
    for path in SAMPLES:
        report = parse_file(path)
        for width in (40, 80, 160):
            through_rich, plain = io.StringIO(), io.StringIO()
            console = Console(file=through_rich, width=width, soft_wrap=True, emoji=False, color_system=None)
            print_report(report, console)
            print_findings(report, console)
            screen = Screen(file=plain, width=width)
            print_report(report, screen)
            print_findings(report, screen)
            assert through_rich.getvalue() == plain.getvalue()
            assert report.meta.agency is not None and report.meta.agency in plain.getvalue()
            lines = plain.getvalue().splitlines()
            assert lines[0].startswith("─") and all(cell_len(line) <= width for line in lines if line[0] in "┏┃│└")


def test_colours_only_on_a_colour_screen_and_never_from_the_report() -> None:
    report = parse_file(SAMPLES[0])
    report.meta.agency = "局\x1b[2J\x07名"
    for colour in (False, True):
        out = io.StringIO()
        print_report(report, Screen(file=out, width=80, color=colour))
        text = out.getvalue()
        assert "局[2J名" in text and "\x1b[2J" not in text and "\x07" not in text  # the controls dropped
        assert ("\x1b[1m" in text) is colour


def test_cells_are_cut_at_wide_characters() -> None:
    assert cell_len("申请a") == 5
    assert set_cell_size("申请数量", 5) == "申请 "
    assert set_cell_size("ab", 4) == "ab  "


def test_parse_text_output_leaves_rich_unimported() -> None:
    probe = ("import sys\nfrom nianbao.cli import app\n"
             f"sys.argv = ['nianbao', 'parse', {str(SAMPLES[0])!r}]\n"
             "try:\n    app()\nexcept SystemExit:\n    pass\n"
             "print('rich loaded' if any(m.startswith('rich') for m in sys.modules) else 'no rich')")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.rstrip().endswith("no rich")
    assert "收到和处理政府信息公开申请情况" in done.stdout or "统计" in done.stdout
