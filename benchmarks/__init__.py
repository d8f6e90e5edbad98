"""Benchmarks for kuril-data: a generator of synthetic packages and a timing harness (issue 7)."""
