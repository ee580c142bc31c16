"""Cumulative average NLL by token position: how well a scoring model predicts long responses.

Each response is scored after its instruction (``instruction + "\\n\\n"`` as plain-text context, or
no context with ``with_prompt=False``); the per-token negative log-likelihoods are stored per row,
and the curve ``mean(nll[:t])`` is averaged over the responses that reach position ``t``.

Backends:

* ``llamacpp`` - a GGUF model in-process through llama-cpp-python (default: the bundled SmolLM2).
  The llama-cpp-python 0.3.36 *server* returns wrong echo log-probabilities (each prompt token is
  scored against the distribution that follows it, llama-cpp-python issue #1983), so it is not used.
* ``vllm`` - a vLLM server: ``/tokenize``, then ``prompt_logprobs`` on ``/v1/completions``.
* ``transformers`` - a Hugging Face causal LM in-process (a folder or hub name available offline).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt

from longwriter.errors import BackendError, ConfigError

CHUNK = 512  # positions per log-softmax block, bounds memory for big vocabularies
SERIES_POINTS = 400  # points kept in the averaged curve


@dataclass(frozen=True)
class Encoded:
    """Token ids of context + text; log-probabilities are wanted for ``ids[start:]``."""

    ids: list[int]
    start: int
    truncated: bool


def fit_window(prefix: list[int], text: list[int], window: int) -> Encoded:
    """Join context and text ids within ``window`` tokens.

    The context keeps at most a quarter of the window (its end); the text is cut at the end. A text
    without context loses its first token, which has nothing to be predicted from.
    """
    prefix = prefix[-(window // 4) :] if len(prefix) > window // 4 else prefix
    room = window - len(prefix)
    truncated = len(text) > room
    ids = prefix + text[:room]
    return Encoded(ids, max(1, len(prefix)), truncated)


def logprobs_from_logits(
    logits: npt.NDArray[np.floating[Any]], ids: Sequence[int], start: int
) -> list[float]:
    """Log-probability of ``ids[i]`` under row ``i - 1`` of ``logits``, for ``i >= start``."""
    out: list[float] = []
    for lo in range(start, len(ids), CHUNK):
        hi = min(lo + CHUNK, len(ids))
        rows = np.asarray(logits[lo - 1 : hi - 1], dtype=np.float64)
        peak = rows.max(axis=1, keepdims=True)
        lse = np.log(np.exp(rows - peak).sum(axis=1)) + peak[:, 0]
        picked = rows[np.arange(hi - lo), np.asarray(ids[lo:hi])]
        out.extend((picked - lse).tolist())
    return out


class Scorer(ABC):
    """Scores a text's tokens after a plain-text context, within ``window`` tokens."""

    name: str
    window: int

    @abstractmethod
    def _tokens(self, text: str, *, special: bool) -> list[int]:
        """Token ids of ``text``; ``special`` adds the BOS token if the model uses one."""

    @abstractmethod
    def _logprobs(self, enc: Encoded) -> list[float]:
        """Log-probabilities of ``enc.ids[enc.start:]``."""

    def score(self, context: str, text: str) -> tuple[list[float], bool]:
        """Per-token log-probabilities of ``text`` after ``context``; whether it was truncated."""
        enc = fit_window(
            self._tokens(context, special=True), self._tokens(text, special=False), self.window
        )
        return self._logprobs(enc), enc.truncated


class LlamaCppScorer(Scorer):
    """A GGUF model in-process (llama-cpp-python with ``logits_all``)."""

    def __init__(self, gguf: Path | None = None, *, window: int = 8192) -> None:
        from llama_cpp import Llama

        from longwriter.llm.local_server import bundled_gguf

        path = gguf or bundled_gguf()
        if not path.is_file():
            raise ConfigError(f"GGUF model file not found: {path}")
        self.name = f"llamacpp:{path.name}"
        self.window = window
        self._llm = Llama(str(path), n_ctx=window, logits_all=True, verbose=False)

    def _tokens(self, text: str, *, special: bool) -> list[int]:
        return list(self._llm.tokenize(text.encode("utf-8"), add_bos=special, special=False))

    def _logprobs(self, enc: Encoded) -> list[float]:
        self._llm.reset()
        self._llm.eval(enc.ids)
        return logprobs_from_logits(self._llm.scores, enc.ids, enc.start)


class VllmScorer(Scorer):
    """A vLLM server: exact tokenization via ``/tokenize``, log-probs via ``prompt_logprobs``."""

    def __init__(
        self, base_url: str, model: str, *, api_key: str = "EMPTY", window: int = 8192
    ) -> None:
        self.name = f"vllm:{model}"
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.window = window - 1  # room for the one token the completion must generate
        self._http = httpx.Client(headers={"Authorization": f"Bearer {api_key}"}, timeout=600.0)

    def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            resp = self._http.post(url, json=body)
            resp.raise_for_status()
        except httpx.HTTPStatusError as exc:
            raise BackendError(
                f"{url} answered HTTP {exc.response.status_code}: {exc.response.text[:200]}"
            ) from None
        except httpx.HTTPError as exc:
            raise BackendError(f"cannot reach {url}: {exc}") from None
        data: dict[str, Any] = resp.json()
        return data

    def _tokens(self, text: str, *, special: bool) -> list[int]:
        body = {"model": self.model, "prompt": text, "add_special_tokens": special}
        found = self._post(f"{self.base_url.removesuffix('/v1')}/tokenize", body)["tokens"]
        return [int(t) for t in found]

    def _logprobs(self, enc: Encoded) -> list[float]:
        body = {
            "model": self.model,
            "prompt": enc.ids,
            "max_tokens": 1,
            "temperature": 0,
            "prompt_logprobs": 0,
        }
        choice = self._post(f"{self.base_url}/completions", body)["choices"][0]
        entries = choice.get("prompt_logprobs")
        if not entries or len(entries) != len(enc.ids):
            raise BackendError("the server returned no prompt_logprobs (is it vLLM?)")
        out = []
        for i in range(enc.start, len(enc.ids)):
            entry = (entries[i] or {}).get(str(enc.ids[i]))
            if entry is None:
                raise BackendError(f"prompt_logprobs lack token {enc.ids[i]} at position {i}")
            out.append(float(entry["logprob"] if isinstance(entry, dict) else entry))
        return out


class TransformersScorer(Scorer):
    """A Hugging Face causal LM in-process; logits come block by block from the hidden states."""

    def __init__(self, model: str, *, window: int = 8192) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.name = f"transformers:{model}"
        self.window = window
        self._tokenizer = AutoTokenizer.from_pretrained(model)
        self._model = AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32).eval()

    def _tokens(self, text: str, *, special: bool) -> list[int]:
        return list(self._tokenizer(text, add_special_tokens=special)["input_ids"])

    def _logprobs(self, enc: Encoded) -> list[float]:
        return causal_lm_logprobs(self._model, enc.ids, enc.start)


def causal_lm_logprobs(model: Any, ids: Sequence[int], start: int) -> list[float]:
    """Log-probabilities of ``ids[start:]`` under a transformers causal LM.

    The ``len(ids) x vocab`` logits are never materialized: hidden states once, then the output head
    block by block.
    """
    import torch

    with torch.inference_mode():
        hidden = model.base_model(torch.tensor([list(ids)])).last_hidden_state[0]
        head = model.get_output_embeddings()
        out: list[float] = []
        for lo in range(start, len(ids), CHUNK):
            hi = min(lo + CHUNK, len(ids))
            logp = torch.log_softmax(head(hidden[lo - 1 : hi - 1]).double(), dim=-1)
            out.extend(logp[torch.arange(hi - lo), torch.tensor(ids[lo:hi])].tolist())
    return out


def cumulative_series(
    nlls: Sequence[Sequence[float]], points: int = SERIES_POINTS
) -> dict[str, list[Any]]:
    """The cumulative average NLL at each position, averaged over responses that reach it.

    Returns ``positions`` (1-based; at most ``points``, spaced evenly on a log scale from the first
    to the last), ``mean_cum_nll`` and ``n`` (responses contributing at that position).
    """
    longest = max((len(x) for x in nlls if x), default=0)
    if not longest:
        return {"positions": [], "mean_cum_nll": [], "n": []}
    total = np.zeros(longest)
    count = np.zeros(longest, dtype=int)
    for seq in nlls:
        if len(seq):
            cum = np.cumsum(np.asarray(seq, dtype=np.float64)) / np.arange(1, len(seq) + 1)
            total[: len(cum)] += cum
            count[: len(cum)] += 1
    positions = np.unique(np.geomspace(1, longest, num=points).round().astype(int))
    idx = [int(p) - 1 for p in positions]
    return {
        "positions": [i + 1 for i in idx],
        "mean_cum_nll": [round(float(total[i] / count[i]), 4) for i in idx],
        "n": [int(count[i]) for i in idx],
    }


def summarize_nll(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Responses, scored tokens, token-weighted mean NLL and perplexity of NLL-file rows."""
    seqs = [r["nll"] for r in rows]
    tokens = sum(len(s) for s in seqs)
    mean = sum(sum(s) for s in seqs) / tokens if tokens else None
    return {
        "n": len(rows),
        "tokens": tokens,
        "mean_nll": round(mean, 4) if mean is not None else None,
        "perplexity": round(math.exp(mean), 3) if mean is not None else None,
        "truncated": sum(1 for r in rows if r.get("truncated")),
    }


def nll_row(
    scorer: Scorer, prompt: str, response: str, *, with_prompt: bool = True
) -> dict[str, Any]:
    """An NLL-file row: per-token NLL (nats, 4 decimals), token count and truncation."""
    if not response.strip():
        return {"scorer": scorer.name, "tokens": 0, "nll": [], "truncated": False}
    logprobs, truncated = scorer.score(f"{prompt}\n\n" if with_prompt else "", response)
    nll = [round(-lp, 4) for lp in logprobs]
    return {"scorer": scorer.name, "tokens": len(nll), "nll": nll, "truncated": truncated}
