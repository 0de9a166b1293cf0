"""Extraction: tokens → template keys with provenance; blanks solved from the identities."""
