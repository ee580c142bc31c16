"""Length distribution of a built dataset: summary figures, buckets and a plot."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from longwriter.errors import ConfigError
from longwriter.files import save_figure
from longwriter.jsonl import read_jsonl

BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 500),
    (500, 2000),
    (2000, 5000),
    (5000, 10000),
    (10000, 20000),
    (20000, None),
)


def bucket_label(low: int, high: int | None) -> str:
    """``"2k-5k"``-style label of a word-count bucket."""

    def k(n: int) -> str:
        return f"{n // 1000}k" if n >= 1000 else str(n)

    return f"{k(low)}-{k(high)}" if high is not None else f"{k(low)}+"


@dataclass
class LengthStats:
    """Output lengths (words) and targets of a dataset's rows."""

    words: list[int] = field(default_factory=list)
    targets: list[int | None] = field(default_factory=list)
    length_scores: list[float] = field(default_factory=list)
    rep4: list[float] = field(default_factory=list)

    def buckets(self) -> dict[str, int]:
        """Row count per word-count bucket."""
        counts = {bucket_label(lo, hi): 0 for lo, hi in BUCKETS}
        for w in self.words:
            for lo, hi in BUCKETS:
                if w >= lo and (hi is None or w < hi):
                    counts[bucket_label(lo, hi)] += 1
                    break
        return counts

    def summary(self) -> dict[str, Any]:
        """Count, min/quartiles/mean/max words, total, mean S_l, rep4 and output/target ratio."""
        w = sorted(self.words)
        quartiles = statistics.quantiles(w, n=4, method="inclusive") if len(w) > 1 else [w[0]] * 3
        ratios = [n / t for n, t in zip(self.words, self.targets, strict=True) if t]
        return {
            "rows": len(w),
            "total_words": sum(w),
            "min": w[0],
            "p25": round(quartiles[0]),
            "median": round(quartiles[1]),
            "p75": round(quartiles[2]),
            "max": w[-1],
            "mean": round(statistics.fmean(w), 1),
            "mean_S_l": _mean(self.length_scores),
            "mean_rep4": _mean(self.rep4, 4),
            "mean_words_per_target": _mean(ratios, 3),
        }


def _mean(values: list[float], digits: int = 2) -> float | None:
    return round(statistics.fmean(values), digits) if values else None


def load_length_stats(path: Path) -> LengthStats:
    """Lengths of a training file: ``words`` (or the counted assistant turn), target, S_l, rep4."""
    from longwriter.text import count_words

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"dataset not found: {path}")
    stats = LengthStats()
    for _, row in read_jsonl(path, skip_bad=True):
        words = row.get("words")
        if not isinstance(words, int):
            turns = [m for m in row.get("messages") or [] if m.get("role") == "assistant"]
            if not turns:
                continue
            words = count_words(str(turns[-1].get("content", "")))
        stats.words.append(words)
        target = row.get("target")
        stats.targets.append(int(target) if isinstance(target, int | float) and target else None)
        if isinstance(row.get("S_l"), int | float):
            stats.length_scores.append(float(row["S_l"]))
        if isinstance(row.get("rep4"), int | float):
            stats.rep4.append(float(row["rep4"]))
    if not stats.words:
        raise ConfigError(f"{path}: no rows with an output (is it empty?)")
    return stats


def plot_lengths(stats: LengthStats, out: Path, title: str = "") -> Path:
    """Histogram of output lengths (log scale) and, when targets are known, output vs target."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter
    except ImportError:
        raise ConfigError("plotting needs matplotlib: pip install 'longwriter[eval]'") from None
    plain = FuncFormatter(lambda x, _: f"{x:,.0f}")
    pairs = [(t, w) for t, w in zip(stats.targets, stats.words, strict=True) if t]
    fig, axes = plt.subplots(1, 2 if pairs else 1, figsize=(11 if pairs else 6, 4), squeeze=False)
    ax = axes[0][0]
    low, high = max(1, min(stats.words)), max(stats.words)
    edges = [low * (high / low) ** (i / 20) for i in range(21)] if high > low else [low, low + 1]
    ax.hist(stats.words, bins=edges, color="#3b6ea8")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(plain)
    ax.set_xlabel("output length (words)")
    ax.set_ylabel("rows")
    ax.set_title(title or f"{len(stats.words)} rows")
    if pairs:
        ax2 = axes[0][1]
        ts, ws = zip(*pairs, strict=True)
        ax2.scatter(ts, ws, s=10, alpha=0.6, color="#c0504d")
        span = [max(1, min(*ts, *ws)) / 1.2, max(*ts, *ws) * 1.2]
        ax2.plot(span, span, color="gray", linewidth=1, label="output = target")
        ax2.set_xscale("log")
        ax2.set_yscale("log")
        ax2.set_xlim(span)
        ax2.set_ylim(span)
        for axis in (ax2.xaxis, ax2.yaxis):
            axis.set_major_formatter(plain)
            axis.set_minor_formatter(plain)
        ax2.set_xlabel("target (words)")
        ax2.set_ylabel("output (words)")
        ax2.legend(loc="upper left")
    fig.tight_layout()
    out = save_figure(fig, out, dpi=120)
    plt.close(fig)
    return out
