"""PNG plots of the evaluation (matplotlib, the ``eval`` extra; headless Agg backend)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from longwriter.errors import ConfigError
from longwriter.files import save_figure


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ConfigError("plots need matplotlib: pip install 'longwriter[eval]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_length(
    points: Mapping[str, Sequence[tuple[int, int]]],
    path: Path,
    *,
    title: str = "Produced vs required length",
) -> Path:
    """Log-log scatter of (required, produced) words per labelled series, with the line y = x.

    Empty responses (0 words) are drawn at 1 word with an ``x`` marker.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    # Empty responses sit at 1 word, so they widen the range like any other point.
    values = [max(v, 1) for series in points.values() for pair in series for v in pair] or [1, 10]
    low, high = min(values) / 1.5, max(values) * 1.5
    ax.plot([low, high], [low, high], color="gray", linestyle="--", linewidth=1, label="y = x")
    for label, series in points.items():
        shown = [(x, y) for x, y in series if y > 0]
        empty = [(x, 1) for x, y in series if y <= 0]
        drawn = ax.scatter([x for x, _ in shown], [y for _, y in shown], alpha=0.7, label=label)
        if empty:
            ax.scatter(
                [x for x, _ in empty], [y for _, y in empty], marker="x",
                color=drawn.get_facecolor()[0], label=f"{label}: empty",
            )  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    from matplotlib.ticker import FuncFormatter

    for axis in (ax.xaxis, ax.yaxis):  # plain word counts: 100, 200, 500, 1,000 ...
        axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        axis.set_minor_formatter(FuncFormatter(_two_and_five))
    ax.set_xlabel("required words")
    ax.set_ylabel("produced words")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return _save(fig, plt, path)


def _two_and_five(value: float, _pos: int) -> str:
    """Label the 2x and 5x minor ticks of a log axis, leave the others blank."""
    return f"{value:,.0f}" if value >= 1 and f"{value:.0e}"[0] in "25" else ""


def plot_nll(series: Mapping[str, Mapping[str, Sequence[float]]], path: Path) -> Path:
    """Cumulative average NLL against token position, one line per labelled series."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for label, data in series.items():
        if data["positions"]:
            ax.plot(data["positions"], data["mean_cum_nll"], label=label)
    ax.set_xscale("log")
    ax.set_xlabel("token position")
    ax.set_ylabel("cumulative average NLL (nats)")
    ax.set_title("Cumulative average NLL by position")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return _save(fig, plt, path)


def _save(fig: Any, plt: Any, path: Path) -> Path:
    fig.tight_layout()
    path = save_figure(fig, path, dpi=110)
    plt.close(fig)
    return path
