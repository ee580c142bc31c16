"""DPO preference pairs: sample several outputs per instruction, rank them, keep clear winners.

LongWriter's DPO stage samples several outputs per long-writing instruction and prefers the ones
that meet the requested length and read better. Each sample gets the LongBench-Write length score
S_l and, when a judge is configured, the quality score S_q (six dimensions rated 1-5, mapped to
0-100); the ranking score is S_l, or (S_l + S_q) / 2 with a judge. A degenerate sample (repeated
4-gram share above the limit) ranks last whatever its length: otherwise a model that loops until
``max_tokens`` would "win" on length. The best and worst samples become a pair only when their
scores differ by at least ``margin`` points.

As with ``dataset build``, every instruction's samples go to a log (``NAME.samples.jsonl``) as soon
as they exist, so a rerun resumes, and the pairs file is re-derived from the log (a different
margin costs no sampling).
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from longwriter.batch.resumable import BatchEvent, BatchSummary
from longwriter.data.build import Instruction, run_and_split
from longwriter.data.filters import strip_step_labels
from longwriter.jsonl import read_jsonl, save_jsonl

SampleFn = Callable[[Instruction, int], Awaitable[str]]
"""Produce sample number ``i`` for an instruction (one plain call, or the agent)."""
QualityFn = Callable[[Instruction, str], Awaitable[float | None]]
"""S_q (0-100) of a response, or None when the judge gave no usable verdict."""


@dataclass(frozen=True)
class Candidate:
    """One sampled output with its scores; ``score`` is what the ranking uses."""

    text: str
    words: int
    length_score: float
    rep4: float
    quality: float | None
    score: float
    degenerate: bool


def score_candidate(
    text: str, target: int, quality: float | None = None, max_rep4: float = 0.2
) -> Candidate:
    """Score a cleaned sample: S_l, or (S_l + S_q) / 2 with a quality score; 0 when degenerate."""
    from longwriter.text import count_words, length_score, repeated_ngram_share

    words = count_words(text)
    s_l = length_score(target, words)
    rep4 = repeated_ngram_share(text, 4)
    degenerate = rep4 > max_rep4 or not words
    score = 0.0 if degenerate else (s_l if quality is None else (s_l + quality) / 2)
    return Candidate(text, words, s_l, rep4, quality, score, degenerate)


def select_pair(
    candidates: Sequence[Candidate], margin: float
) -> tuple[Candidate, Candidate] | None:
    """The best and the worst candidate when their scores differ by at least ``margin``.

    Identical texts are considered once. None when fewer than two distinct candidates remain or the
    margin is not met.
    """
    distinct = list({c.text: c for c in candidates}.values())
    if len(distinct) < 2:
        return None
    ranked = sorted(distinct, key=lambda c: c.score, reverse=True)
    best, worst = ranked[0], ranked[-1]
    if best.degenerate or best.score - worst.score < margin:
        return None
    return best, worst


def pair_row(prompt: str, target: int, chosen: Candidate, rejected: Candidate) -> dict[str, Any]:
    """A conversational preference row, as TRL's DPOTrainer reads it, plus the scores."""
    return {
        "prompt": [{"role": "user", "content": prompt}],
        "chosen": [{"role": "assistant", "content": chosen.text}],
        "rejected": [{"role": "assistant", "content": rejected.text}],
        "target": target,
        "score_chosen": round(chosen.score, 2),
        "score_rejected": round(rejected.score, 2),
        "words_chosen": chosen.words,
        "words_rejected": rejected.words,
    }


def judge_quality(scores: dict[str, int] | None) -> float | None:
    """S_q of one judged response: the mean of ``(rating - 1) * 25`` over the six dimensions."""
    if not scores:
        return None
    return statistics.fmean((int(v) - 1) * 25 for v in scores.values())


def pair_paths(out_path: Path) -> Path:
    """The samples log that belongs to a pairs file."""
    out_path = Path(out_path)
    return out_path.with_name(f"{out_path.name.removesuffix('.jsonl')}.samples.jsonl")


@dataclass
class PairCounts:
    """Outcome of :func:`split_samples`."""

    instructions: int = 0
    pairs: int = 0
    no_margin: int = 0


def split_samples(samples_path: Path, out_path: Path, margin: float) -> PairCounts:
    """(Re)write the pairs file from every instruction in the samples log."""
    counts = PairCounts()
    rows = []
    if Path(samples_path).exists():
        latest = {entry["key"]: entry for _, entry in read_jsonl(samples_path, skip_bad=True)}
        for entry in latest.values():
            counts.instructions += 1
            candidates = [Candidate(**c) for c in entry["candidates"]]
            pair = select_pair(candidates, margin)
            if pair is None:
                counts.no_margin += 1
                continue
            rows.append(pair_row(entry["prompt"], entry["target"], *pair))
    counts.pairs = len(rows)
    save_jsonl(Path(out_path), rows)
    return counts


async def build_pairs(
    instructions: Sequence[Instruction],
    out_path: Path,
    *,
    sample: SampleFn,
    samples: int = 4,
    quality: QualityFn | None = None,
    margin: float = 10.0,
    max_rep4: float = 0.2,
    concurrency: int = 1,
    progress: Callable[[BatchEvent], None] | None = None,
) -> tuple[BatchSummary, PairCounts]:
    """Sample ``samples`` outputs per instruction (concurrently), score them, then select pairs.

    Every instruction needs a target length (its ``length`` or one stated in the prompt).
    """
    from longwriter.text import parse_target_words

    if samples < 2:
        raise ValueError("need at least 2 samples per instruction to form a pair")

    async def work(item: Instruction) -> dict[str, Any]:
        target = item.length or parse_target_words(item.prompt)
        if not target:
            raise ValueError("no target length: give 'length' or state it in the prompt")
        texts = await asyncio.gather(*(sample(item, i) for i in range(samples)))
        cleaned = [strip_step_labels(t) for t in texts]
        scores = await asyncio.gather(*(quality(item, t) for t in cleaned)) if quality else None
        candidates = [
            score_candidate(text, target, scores[i] if scores else None, max_rep4)
            for i, text in enumerate(cleaned)
        ]
        return {
            "prompt": item.prompt,
            "target": target,
            "candidates": [asdict(c) for c in candidates],
        }

    samples_path = pair_paths(out_path)
    return await run_and_split(
        instructions,
        work,
        samples_path,
        lambda: split_samples(samples_path, out_path, margin),
        concurrency=concurrency,
        progress=progress,
    )
