"""Benchmarks run by scripts/bench; figures for the issues' notes."""
