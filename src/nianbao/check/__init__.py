"""Checks: each rule is one small registered function that yields findings (never raises)."""

# Importing the rule modules registers their rules.
from nianbao.check import rules_arithmetic, rules_structure, rules_text  # noqa: F401
from nianbao.check.registry import RULES, Rule, run_checks

__all__ = ["RULES", "Rule", "run_checks"]
