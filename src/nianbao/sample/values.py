"""Plausible, consistent numbers for a fictional report of any template version.

Rows and columns come from the template description; what is generated here is only the
arithmetic a real report satisfies: every table identity holds, counts are non-negative
integers, 结转下年度 is what is left of 新收 + 上年结转, a 2021 report's 上年结转 can be
carried over from last year's 结转下年度, and legacy sub-counts stay within their totals.
"""

from __future__ import annotations

import random
from decimal import Decimal

from nianbao.extract.solve import bind_identities, violations
from nianbao.models import Number
from nianbao.templates import Template, cell_key

Values = dict[str, Number | None]
APPLICANTS = ("natural_person", "business", "research", "social_org", "legal_service", "other_org")
# How likely each kind of applicant is, and each outcome of an application (rough national shape).
_APPLICANT_WEIGHTS = (70, 12, 1, 2, 5, 10)
_RESULT_WEIGHTS = {"granted": 40, "partly_granted": 10, "unable_not_held": 25, "other_misc": 5,
                   "rejected_petition": 5, "rejected_repeated": 4, "other": 6, "withheld_third_party": 2}


def report_values(template: Template, rng: random.Random, *, size: int = 50,
                  carried_over: dict[str, int] | None = None) -> Values:
    """Every required key of ``template`` with a value; ``size`` scales the counts and
    ``carried_over`` (applicant column → count) continues last year's report."""
    values: Values = {}
    for table in template.tables:
        if table.id == "active":
            values.update(_active(template, rng, size))
        elif table.id == "requests":
            values.update(_requests(template, rng, size, carried_over or {}))
        elif table.id == "appeals":
            values.update(_appeals(template, rng, size))
        elif table.id == "legacy":
            values.update(_legacy(template, rng, size))
    for table in template.tables:  # the generator's own guarantee
        numbers = {k: None if v is None else Decimal(str(v)) for k, v in values.items()}
        broken = violations(numbers, bind_identities(table, {k for k, v in numbers.items() if v is not None}))
        if broken:
            raise AssertionError(f"generated values break {broken[0].rule}")
    return values


def _active(template: Template, rng: random.Random, size: int) -> Values:
    table = template.table("active")
    assert table is not None
    values: Values = {}
    for block, row in table.rows():
        for column in block.columns:
            key = cell_key(row.key, column.key)
            if column.decimals:
                values[key] = round(rng.uniform(0, size * 2), 2) if rng.random() < 0.7 else 0
            elif column.signed:
                values[key] = rng.randint(-3, 5)
            elif column.key == "in_force":
                values[key] = rng.randint(5, 20 + size)
            elif column.key in ("repealed", "issued"):
                values[key] = rng.randint(0, 3 + size // 10)
            else:
                values[key] = rng.randint(0, size * (200 if row.key.endswith(("penalties", "licensing")) else 3))
    return values


def _split(total: int, weights: tuple[int, ...], rng: random.Random) -> list[int]:
    """``total`` shared out over len(weights) parts at random, in proportion to the weights."""
    parts = [0] * len(weights)
    for _ in range(total):
        parts[rng.choices(range(len(weights)), weights=weights)[0]] += 1
    return parts


def _requests(template: Template, rng: random.Random, size: int, carried_over: dict[str, int]) -> Values:
    table = template.table("requests")
    assert table is not None
    rows = [row for _, row in table.rows() if not row.extra]
    keys = [row.key for row in rows]
    results = keys[keys.index("requests.carried_over") + 1: keys.index("requests.total")]
    new = _split(rng.randint(0, size), _APPLICANT_WEIGHTS, rng)
    carried = [carried_over.get(c, 0) for c in APPLICANTS]
    values: Values = {}
    for index, column in enumerate(APPLICANTS):
        available = new[index] + carried[index]
        forward = rng.randint(0, available // 8) if available else 0
        handled = available - forward
        weights = tuple(_RESULT_WEIGHTS.get(key.split(".")[1], 1) for key in results)
        for key, count in zip(results, _split(handled, weights, rng), strict=True):
            values[f"{key}.{column}"] = count
        values[f"requests.new_received.{column}"] = new[index]
        values[f"requests.carried_over.{column}"] = carried[index]
        values[f"requests.total.{column}"] = handled
        values[f"requests.carried_forward.{column}"] = forward
    for key in keys:
        values[f"{key}.total"] = sum(int(values[f"{key}.{c}"] or 0) for c in APPLICANTS)
    return values


def _appeals(template: Template, rng: random.Random, size: int) -> Values:
    table = template.table("appeals")
    assert table is not None
    values: Values = {}
    for block, row in table.rows():
        parts = [c.key for c in block.columns if c.key != "total"]
        counts = _split(rng.randint(0, max(1, size // 15)), (5, 2, 2, 1), rng)
        for key, count in zip(parts, counts, strict=True):
            values[f"{row.key}.{key}"] = count
        values[f"{row.key}.total"] = sum(counts)
    return values


def _legacy(template: Template, rng: random.Random, size: int) -> Values:
    n = rng.randint
    values: Values = {}
    channels = {c: n(0, size * 10) for c in ("gazette", "website", "weibo", "wechat", "other")}
    values.update({f"legacy.proactive.channel.{c}": v for c, v in channels.items()})
    values["legacy.proactive.items"] = n(max(channels.values()), sum(channels.values()))
    values["legacy.proactive.normative_docs_published"] = n(0, min(20, int(values["legacy.proactive.items"] or 0)))
    values["legacy.proactive.normative_docs_issued"] = n(0, 20)
    values["legacy.response.hot_topics"] = n(0, 30)
    for group in ("press_conf", "interview"):
        total = n(0, 12)
        values[f"legacy.response.{group}.total"] = total
        values[f"legacy.response.{group}.by_principal"] = n(0, total)
    for key in ("interpretations", "social_media", "other"):
        values[f"legacy.response.{key}"] = n(0, 40)
    received = _split(n(0, size), (3, 1, 8, 2), rng)
    for key, count in zip(("in_person", "fax", "online", "letter"), received, strict=True):
        values[f"legacy.request.received.{key}"] = count
    values["legacy.request.received.total"] = sum(received)
    extended = n(0, sum(received) // 10)
    values["legacy.request.closed.on_time"] = sum(received) - extended
    values["legacy.request.closed.extended"] = extended
    values["legacy.request.closed.total"] = sum(received)
    answers = _split(sum(received), (3, 10, 2, 2, 2, 3, 1, 1), rng)
    names = ("already_public", "granted", "partial", "refused.total", "not_this_agency", "nonexistent", "to_amend",
             "other_channel")
    for name, count in zip(names, answers, strict=True):
        values[f"legacy.request.answered.{name}"] = count
    values["legacy.request.answered.total"] = sum(answers)
    refusals = _split(answers[3], (1, 1, 2, 1, 1, 1), rng)
    for name, count in zip(("state_secret", "trade_secret", "privacy", "security_stability", "not_gov_info",
                            "other_law"), refusals, strict=True):
        values[f"legacy.request.answered.refused.{name}"] = count
    for group in ("review", "suit"):
        parts = _split(n(0, 4), (3, 1, 1), rng)
        for name, count in zip(("upheld", "corrected", "other"), parts, strict=True):
            values[f"legacy.{group}.{name}"] = count
        values[f"legacy.{group}.total"] = sum(parts)
    values["legacy.complaints"] = n(0, 5)
    values["legacy.fees"] = 0
    values["legacy.org.units"] = n(1, 3)
    values["legacy.org.reading_points"] = n(1, 20)
    full, part = n(1, 5), n(0, 40)
    values["legacy.org.staff.full_time"] = full
    values["legacy.org.staff.part_time"] = part
    values["legacy.org.staff.total"] = full + part
    values["legacy.org.budget"] = round(rng.uniform(0, 30), 1)
    values["legacy.training.meetings"] = n(0, 10)
    values["legacy.training.courses"] = n(0, 10)
    values["legacy.training.trainees"] = n(0, 500)
    known = {key for _, row in template.tables[0].rows() for key in [row.key]}
    return {k: v for k, v in values.items() if k in known}
