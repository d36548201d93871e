"""Figures shared by the benchmarks."""

from __future__ import annotations


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile by nearest rank (p in 0..100)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
