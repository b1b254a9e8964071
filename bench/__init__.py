"""Benchmarks: `./inv bench` runs them and prints one table (median and spread of repeated runs)."""
