"""Which template a report follows, from the phrases only that template prints (domain.md §3.4)."""

from __future__ import annotations

from functools import cache

from nianbao.normalize import norm_label
from nianbao.templates import Template, TemplateId, all_templates


def detect_template(norm_text: str, year: int | None) -> TemplateId | None:
    """The template whose fingerprints the text shows most; the report year breaks ties and
    decides alone when the text shows none (a report truncated before its tables)."""
    scores: list[tuple[int, bool, Template]] = []
    for template, phrases in _fingerprints():
        hits = sum(1 for phrase in phrases if phrase in norm_text)
        in_years = year is not None and template.first_year <= year <= template.last_year
        scores.append((hits, in_years, template))
    hits, in_years, best = max(scores, key=lambda s: (s[0], s[1]))
    if hits == 0 and not in_years:
        return None
    return best.id


@cache
def _fingerprints() -> tuple[tuple[Template, tuple[str, ...]], ...]:
    """Each template with its fingerprints normalised, once (not a cache lookup per phrase and report)."""
    return tuple((template, tuple(norm_label(phrase) for phrase in template.fingerprints))
                 for template in all_templates())
