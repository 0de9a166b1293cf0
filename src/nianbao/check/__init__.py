"""Checks: each rule is one small registered function that yields findings (never raises)."""

from nianbao.check.registry import RULES, Rule, run_checks

# Importing the rule modules registers their rules.
from nianbao.check import rules_arithmetic, rules_structure, rules_text  # noqa: E402,F401

__all__ = ["RULES", "Rule", "run_checks"]
