"""Reading a server's Prometheus ``/metrics`` text (vLLM's prefix-cache counters, for instance)."""

from __future__ import annotations


def metric_total(metrics_text: str, name: str) -> float | None:
    """Sum of all samples of a Prometheus counter over its label sets; None when it is absent."""
    values = [
        float(line.rsplit(" ", 1)[1])
        for line in metrics_text.splitlines()
        if line.startswith((name + "{", name + " "))
    ]
    return sum(values) if values else None
