"""Checks: each rule is one small registered function that yields findings (never raises)."""

# Importing the rule modules registers their rules.
from nianbao.check import (  # noqa: F401
    across,
    rules_arithmetic,
    rules_content,
    rules_cumulative,
    rules_meta,
    rules_narrative,
    rules_structure,
    rules_text,
    rules_values,
)
from nianbao.check.registry import RULES, Rule, run_checks

__all__ = ["RULES", "Rule", "run_checks"]
