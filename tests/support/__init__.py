"""Helpers the test packages share (importable because pytest puts tests/ on the path)."""
