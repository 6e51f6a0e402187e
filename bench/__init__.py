"""Benchmarks: separate commands, not tests (make bench)."""
