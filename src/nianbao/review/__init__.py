"""Outputs for reviewers: the review page (HTML), the findings workbook (XLSX), findings as JSON."""
