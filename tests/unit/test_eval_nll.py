"""Cumulative NLL: log-prob extraction, window fitting, averaging, vLLM and transformers paths."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import numpy as np
import pytest

from longwriter.eval.nll import (
    Encoded,
    VllmScorer,
    causal_lm_logprobs,
    cumulative_series,
    fit_window,
    logprobs_from_logits,
    nll_row,
    summarize_nll,
)
from tests.tiny_llama import tiny_llama


def test_logprobs_use_the_previous_position_and_normalize() -> None:
    logits = np.array([[0.0, math.log(3.0)], [math.log(4.0), 0.0], [0.0, 0.0]])
    ids = [1, 1, 0]
    # p(ids[1]=1 | row 0) = 3/4 ; p(ids[2]=0 | row 1) = 4/5
    assert logprobs_from_logits(logits, ids, 1) == pytest.approx([math.log(0.75), math.log(0.8)])
    assert logprobs_from_logits(logits, ids, 2) == pytest.approx([math.log(0.8)])


def test_logprobs_in_blocks_match_one_shot(monkeypatch: pytest.MonkeyPatch) -> None:
    import longwriter.eval.nll as nll

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(50, 7))
    ids = rng.integers(0, 7, size=50).tolist()
    whole = logprobs_from_logits(logits, ids, 3)
    monkeypatch.setattr(nll, "CHUNK", 4)
    assert logprobs_from_logits(logits, ids, 3) == pytest.approx(whole)


def test_fit_window() -> None:
    assert fit_window([9, 8], [1, 2, 3], 100) == Encoded([9, 8, 1, 2, 3], 2, False)
    assert fit_window([], [1, 2, 3], 100) == Encoded([1, 2, 3], 1, False)  # first token unscored
    # context keeps its last window // 4 tokens, text is cut at the end
    fitted = fit_window(list(range(100, 140)), list(range(50)), 40)
    assert fitted.ids == [*range(130, 140), *range(30)]
    assert (fitted.start, fitted.truncated) == (10, True)


def test_cumulative_series_averages_over_responses_reaching_each_position() -> None:
    series = cumulative_series([[1.0, 3.0, 2.0], [2.0], []])
    # response 1: cumulative means 1, 2, 2 ; response 2: 2
    assert series == {"positions": [1, 2, 3], "mean_cum_nll": [1.5, 2.0, 2.0], "n": [2, 1, 1]}
    assert cumulative_series([]) == {"positions": [], "mean_cum_nll": [], "n": []}


def test_cumulative_series_is_log_spaced_from_first_to_last_position() -> None:
    series = cumulative_series([[1.0] * 10000], points=100)
    positions = series["positions"]
    assert positions[0] == 1 and positions[-1] == 10000
    assert len(positions) <= 100 and positions == sorted(set(positions))
    assert positions[:5] == [1, 2, 3, 4, 5]  # dense where the curve moves most
    assert positions[-1] / positions[-2] == pytest.approx(10000 ** (1 / 99), rel=0.01)
    assert set(series["mean_cum_nll"]) == {1.0}


def test_summary_is_token_weighted() -> None:
    summary = summarize_nll(
        [{"nll": [1.0, 1.0, 1.0]}, {"nll": [3.0], "truncated": True}, {"nll": []}]
    )
    assert summary == {
        "n": 3,
        "tokens": 4,
        "mean_nll": 1.5,
        "perplexity": round(math.exp(1.5), 3),
        "truncated": 1,
    }
    assert summarize_nll([])["mean_nll"] is None


class _FixedScorer:
    name = "fixed"

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def score(self, context: str, text: str) -> tuple[list[float], bool]:
        self.seen.append((context, text))
        return [-0.5, -1.25], False


def test_nll_row_conditions_on_the_prompt_and_skips_empty_responses() -> None:
    scorer = _FixedScorer()
    row = nll_row(scorer, "Write.", "Some text", with_prompt=True)  # type: ignore[arg-type]
    assert row == {"scorer": "fixed", "tokens": 2, "nll": [0.5, 1.25], "truncated": False}
    nll_row(scorer, "Write.", "Some text", with_prompt=False)  # type: ignore[arg-type]
    assert scorer.seen == [("Write.\n\n", "Some text"), ("", "Some text")]
    assert nll_row(scorer, "Write.", "  ")["tokens"] == 0  # type: ignore[arg-type]


def test_vllm_scorer_tokenizes_then_reads_prompt_logprobs() -> None:
    requests: list[tuple[str, dict[str, Any]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        requests.append((request.url.path, body))
        if request.url.path == "/tokenize":
            tokens = [1, 10, 11] if body["add_special_tokens"] else [20, 21]
            return httpx.Response(200, json={"tokens": tokens})
        entries = [None] + [{str(t): {"logprob": -0.1 * t, "rank": 1}} for t in body["prompt"][1:]]
        return httpx.Response(200, json={"choices": [{"text": "x", "prompt_logprobs": entries}]})

    scorer = VllmScorer("http://vllm:8000/v1", "m", window=100)
    scorer._http = httpx.Client(transport=httpx.MockTransport(handler))
    logprobs, truncated = scorer.score("Write.\n\n", "Text")
    assert logprobs == pytest.approx([-2.0, -2.1]) and not truncated
    paths = [path for path, _ in requests]
    assert paths == ["/tokenize", "/tokenize", "/v1/completions"]
    assert requests[2][1]["prompt"] == [1, 10, 11, 20, 21]
    assert requests[2][1]["prompt_logprobs"] == 0


def test_transformers_path_matches_full_log_softmax() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    model = tiny_llama(40).eval()
    ids = torch.randint(0, 40, (20,)).tolist()
    with torch.inference_mode():
        full = torch.log_softmax(model(torch.tensor([ids])).logits[0].double(), dim=-1)
    expected = [full[i - 1, ids[i]].item() for i in range(5, 20)]
    assert causal_lm_logprobs(model, ids, 5) == pytest.approx(expected, abs=1e-5)
