"""Serving figures of the agent on any OpenAI-compatible server (embedded llama.cpp, or vLLM).

Each subcommand prints its figures as JSON on stdout (``scaling``: one line per K, then a summary line);
progress goes to stderr. Without ``--base-url`` the embedded llama.cpp server is started.

    .venv/bin/python benchmarks/bench_vllm.py overhead --words 3000 --base-url http://127.0.0.1:8000/v1 --model smollm2
    .venv/bin/python benchmarks/bench_vllm.py prefix --words 3000 --base-url http://127.0.0.1:8000/v1
    .venv/bin/python benchmarks/bench_vllm.py scaling --k 1 2 4 8 --words 600 --base-url ...
    .venv/bin/python benchmarks/bench_vllm.py memory --sections 10 50 [--llm-seconds-per-section 20]

overhead
    One agent run (``write_document``), then ONE plain streaming chat completion on the same server that
    decodes as many tokens as the agent generated in total (``max_tokens`` = N plus ``min_tokens`` = N
    where the server takes it, and ``ignore_eos`` on vLLM; capped by the context window). The plain call
    runs after the agent, so both see a warm server, and uses an unrelated prompt, so the prefix cache
    cannot help it. ``overhead`` = agent seconds / (plain seconds scaled to the agent's completion
    tokens): 1.0 means the agent costs no more than streaming its tokens; the excess is prompt prefill,
    per-call latency, the critic, Chroma and graph bookkeeping. ``overhead_vs_document`` compares with
    decoding only the final document's tokens (it also charges discarded revisions). Server start-up and
    the embedder load are done before the timer starts. On vLLM, the prefix-cache hit rate over the
    agent run comes from ``/metrics`` deltas (``vllm:prefix_cache_hits_total`` / ``..._queries_total``),
    and so do the tokens it generated (``vllm:generation_tokens_total``, ``server_completion_tokens``:
    streams the agent closes early report no usage): they are the agent's tokens when present.
    ``completion_per_document_token`` is those tokens over the final document's (both modes).

prefix
    The agent run and its vLLM prefix-cache hit rate only (vLLM only).

scaling
    For each K, K documents on K distinct instructions through ``write_many(concurrency=K)``, each K in a
    fresh process (fresh clients, memory and event loop; the server is shared). ``write_many`` runs the
    K documents in a thread pool of K threads of its own, so K calls are in flight.
    The aggregate rate is total completion tokens / wall seconds.

memory
    The cost of the section memory (Chroma + embeddings), measured on the real ``SectionMemory`` and
    embedders with synthetic text, so no LLM is needed for it. Per section it does what the agent does:
    for each of ``--attempts`` drafts (default 2, about what SmolLM2 needs per section), the writer's
    retrieval (``related``, k = 3, on the section title and main point) and the critic's near-duplicate
    search (``near_duplicates`` of the draft against earlier sections), then the commit
    (``add_section`` of the last draft, whose embeddings the critic already cached, as in the agent).
    The agent retrieves only once the document no longer fits the context window, and an expansion
    re-embeds only its new paragraphs (the rest are cached), so charging a full retrieval and a fresh
    draft on every call makes the share an upper bound. Text: 300-400-word sections of
    3-6-sentence paragraphs drawn with Zipf weights from a fixed vocabulary (seeded, so repeatable and
    varied). The share is memory seconds / (memory seconds + sections x LLM seconds per section);
    LLM seconds per section come from ``--llm-seconds-per-section`` or, by default, one real ~400-word
    section generation on the server times ``--attempts``. That call has a short prompt, whereas the
    agent's calls carry the growing document, so the measured share leans high. The one-off embedder
    load is reported apart (``memory_share_with_load`` includes it), as is the start of the process's
    Chroma client; ``setup_ms`` is opening the document's collection and syncing it with an empty
    document, as the agent's first use of memory does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import statistics
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from _common import (
    add_out_dir,
    add_server_args,
    document_row,
    instruction,
    log,
    machine,
    print_progress,
    save_result,
    warm_up,
    writer_context,
)

from longwriter import DocumentResult, WriterContext, write_document, write_many
from longwriter.drafting.calibration import OUTPUT_SLACK, output_tokens
from longwriter.llm import Endpoint, check_endpoint
from longwriter.llm.embeddings import get_embedder
from longwriter.llm.local_server import EMBEDDED_CONTEXT
from longwriter.llm.metrics import metric_total
from longwriter.memory import SectionMemory, open_memory
from longwriter.text import count_words, estimate_tokens

HITS, QUERIES = "vllm:prefix_cache_hits_total", "vllm:prefix_cache_queries_total"
GENERATED = "vllm:generation_tokens_total"
PLAIN_PROMPT = (
    "Write a very long, detailed essay on the history of glassmaking, from the first furnaces of "
    "Mesopotamia to optical fibre. Cover every period in depth and keep writing."
)
SECTION_PROMPT = (
    "Write section 3, 'Measuring the tides', of an article on tides and the Moon: about {n} words "
    "of plain prose in paragraphs, without a heading."
)


# --- the server -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    """The endpoint under test, what software serves it, and its context window."""

    endpoint: Endpoint
    kind: str  # "vllm", "llama.cpp" (llama-cpp-python) or "openai" (anything else)
    window: int

    @property
    def root(self) -> str:
        """The server root (base URL without ``/v1``), where ``/metrics`` and tokenizers live."""
        return self.endpoint.base_url.removesuffix("/v1")

    def post(self, url: str, body: dict[str, Any]) -> httpx.Response:
        """POST JSON with the endpoint's bearer token."""
        headers = {"Authorization": f"Bearer {self.endpoint.api_key}"}
        return httpx.post(url, json=body, headers=headers, timeout=60)


def probe_server(endpoint: Endpoint) -> Server:
    """Tell vLLM (``owned_by: vllm``) from llama-cpp-python (``/extras/tokenize``) from the rest."""
    window = check_endpoint(endpoint) or EMBEDDED_CONTEXT
    headers = {"Authorization": f"Bearer {endpoint.api_key}"}
    models = httpx.get(f"{endpoint.base_url}/models", headers=headers, timeout=10).json()
    if any(m.get("owned_by") == "vllm" for m in models.get("data", [])):
        return Server(endpoint, "vllm", window)
    server = Server(endpoint, "llama.cpp", window)
    if endpoint.embedded or count_tokens(server, "probe") is not None:
        return server
    return Server(endpoint, "openai", window)


def count_tokens(server: Server, text: str) -> int | None:
    """Tokens of ``text`` by the server's own tokenizer (vLLM, llama-cpp-python); None elsewhere."""
    model = server.endpoint.model
    body: dict[str, Any]
    if server.kind == "vllm":
        url = f"{server.root}/tokenize"
        body = {"model": model, "prompt": text, "add_special_tokens": False}
    elif server.kind == "llama.cpp":
        url, body = f"{server.root}/extras/tokenize/count", {"model": model, "input": text}
    else:
        return None
    try:
        response = server.post(url, body)
        response.raise_for_status()
        return int(response.json()["count"])
    except (httpx.HTTPError, KeyError, ValueError):
        return None


def prefix_counters(server: Server) -> tuple[float, float, float] | None:
    """vLLM's cumulative prefix-cache (hits, queries) and generated tokens (0 when not exported);
    None when the server has no prefix-cache counters."""
    if server.kind != "vllm":
        return None
    text = httpx.get(f"{server.root}/metrics", timeout=30).text
    hits, queries = metric_total(text, HITS), metric_total(text, QUERIES)
    generated = metric_total(text, GENERATED)
    if hits is None or queries is None:
        return None
    return hits, queries, generated or 0.0


@dataclass(frozen=True)
class Stream:
    """A timed streaming chat completion."""

    text: str
    tokens: int
    tokens_source: str  # "usage", "tokenize" or "chunks"
    seconds: float
    first_token_seconds: float | None
    finish_reason: str | None


def stream_chat(
    server: Server, prompt: str, *, max_tokens: int, min_tokens: int = 0, ignore_eos: bool = False
) -> Stream:
    """One streamed completion of ``prompt``, sampled as the agent samples, timed to the last byte.

    ``min_tokens`` goes to the servers that take it; ``ignore_eos`` only to vLLM."""
    ctx = WriterContext()
    body: dict[str, Any] = {
        "model": server.endpoint.model,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": max_tokens,
        "temperature": ctx.temperature,
        "top_p": ctx.top_p,
        "stream": True,
    }
    if min_tokens and server.kind in ("vllm", "llama.cpp"):
        body["min_tokens"] = min(min_tokens, max_tokens)
    if server.kind == "vllm":
        body["stream_options"] = {"include_usage": True}
        body["ignore_eos"] = ignore_eos
    parts: list[str] = []
    chunks, usage, finish, first = 0, None, None, None
    headers = {"Authorization": f"Bearer {server.endpoint.api_key}"}
    started = time.monotonic()
    url = f"{server.endpoint.base_url}/chat/completions"
    with httpx.stream("POST", url, json=body, headers=headers, timeout=3600) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data:") or line[5:].strip() == "[DONE]":
                continue
            chunk = json.loads(line[5:])
            usage = (chunk.get("usage") or {}).get("completion_tokens") or usage
            for choice in chunk.get("choices") or []:
                content = (choice.get("delta") or {}).get("content")
                if content:
                    first = first if first is not None else time.monotonic() - started
                    parts.append(content)
                    chunks += 1
                finish = choice.get("finish_reason") or finish
    seconds = time.monotonic() - started
    text = "".join(parts)
    if usage:
        tokens, source = int(usage), "usage"
    elif (counted := count_tokens(server, text)) is not None:
        tokens, source = counted, "tokenize"
    else:
        tokens, source = chunks, "chunks"
    return Stream(text, tokens, source, seconds, first, finish)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _rate(tokens: float, seconds: float) -> float:
    return round(tokens / seconds, 2) if seconds > 0 else 0.0


def _hit_rate(
    before: tuple[float, float, float] | None, after: tuple[float, float, float] | None
) -> dict[str, Any]:
    """Prefix-cache figures between two counter readings (hit rate None when there are none), and
    the tokens the server generated meanwhile: a stream the agent closes early has no usage report,
    and the server decodes a few tokens more before it notices."""
    if before is None or after is None:
        return {"prefix_cache_hit_rate": None}
    hits, queries, generated = (a - b for a, b in zip(after, before, strict=True))
    return {
        "prefix_cache_queries": int(queries),
        "prefix_cache_hits": int(hits),
        "prefix_cache_hit_rate": round(hits / queries, 3) if queries else None,
        **({"server_completion_tokens": int(generated)} if generated > 0 else {}),
    }


# --- overhead and prefix ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentRun:
    """One timed agent document and the server's prefix-cache figures over it."""

    result: DocumentResult
    seconds: float
    prefix: dict[str, Any]


def run_agent(args: argparse.Namespace, *, need_prefix: bool = False) -> tuple[Server, AgentRun]:
    """Warm up, then write one ``args.words``-word document and time it."""
    ctx = writer_context(args)
    server = probe_server(warm_up(ctx))
    log(f"server: {server.kind} at {server.endpoint.base_url}, model {server.endpoint.model}")
    before = prefix_counters(server)
    if need_prefix and before is None:
        raise SystemExit(
            f"no prefix-cache counters ({HITS}, {QUERIES}) at {server.root}/metrics: "
            f"this needs a vLLM server with prefix caching (this one looks like {server.kind})"
        )
    started = time.monotonic()
    result = write_document(instruction(0, args.words), context=ctx, on_event=print_progress)
    seconds = time.monotonic() - started
    save_result(args.out_dir, f"{server.kind}-{args.words}", result)
    return server, AgentRun(result, seconds, _hit_rate(before, prefix_counters(server)))


def _agent_figures(server: Server, run: AgentRun) -> dict[str, Any]:
    """The run's document figures and, where the server tokenizes, the final document's tokens and
    the completion tokens spent per document token (the server's own count when it has one)."""
    report = run.result.report
    figures = {
        "server": server.kind,
        "model": server.endpoint.model,
        **document_row(report, run.seconds),
        "llm_seconds": report["llm_seconds"],
        "prompt_tokens": report["prompt_tokens"],
        **run.prefix,
    }
    document_tokens = count_tokens(server, run.result.text)
    if document_tokens:
        spent = figures.get("server_completion_tokens") or figures["completion_tokens"]
        figures["document_tokens"] = document_tokens
        figures["completion_per_document_token"] = round(spent / document_tokens, 2)
    return figures


def cmd_overhead(args: argparse.Namespace) -> dict[str, Any]:
    """Agent wall time against one plain stream decoding the same number of tokens."""
    server, run = run_agent(args)
    figures = _agent_figures(server, run)
    agent_seconds = figures.pop("seconds")
    agent_tokens = int(figures.get("server_completion_tokens") or figures["completion_tokens"])
    if agent_tokens <= 0:
        raise SystemExit("the agent report holds no completion tokens: nothing to compare with")
    wanted = min(agent_tokens, server.window - estimate_tokens(PLAIN_PROMPT) - 64)
    log(f"plain stream: {wanted} tokens (agent generated {agent_tokens})")
    plain = stream_chat(server, PLAIN_PROMPT, max_tokens=wanted, min_tokens=wanted, ignore_eos=True)
    if plain.tokens <= 0:
        raise SystemExit("the plain completion returned no tokens")
    per_token = plain.seconds / plain.tokens
    document_tokens = figures.get("document_tokens")
    source = "tokenize"
    if not document_tokens:  # the plain stream's tokens per word, applied to the document
        document_tokens = round(figures["words"] * plain.tokens / max(1, count_words(plain.text)))
        source = "estimate"
    return {
        "benchmark": "overhead",
        **figures,
        "agent_seconds": agent_seconds,
        "agent_tok_s": _rate(agent_tokens, run.seconds),
        "document_tokens": document_tokens,
        "document_tokens_source": source,
        "useful_token_share": round(document_tokens / agent_tokens, 3),
        "plain_seconds": round(plain.seconds, 2),
        "plain_tokens": plain.tokens,
        "plain_tokens_source": plain.tokens_source,
        "plain_capped": wanted < agent_tokens,
        "plain_finish_reason": plain.finish_reason,
        "plain_first_token_seconds": _round(plain.first_token_seconds, 3),
        "plain_tok_s": _rate(plain.tokens, plain.seconds),
        "overhead": round(run.seconds / (per_token * agent_tokens), 3),
        "overhead_vs_document": round(run.seconds / (per_token * document_tokens), 3),
        **machine(),
    }


def cmd_prefix(args: argparse.Namespace) -> dict[str, Any]:
    """The agent run and vLLM's prefix-cache hit rate over it."""
    server, run = run_agent(args, need_prefix=True)
    return {"benchmark": "prefix", **_agent_figures(server, run), **machine()}


# --- scaling ----------------------------------------------------------------------------------------


async def _write_batch(instructions: list[str], ctx: WriterContext) -> list[Any]:
    return await write_many(instructions, context=ctx, concurrency=len(instructions))


def scaling_batch(args: argparse.Namespace, k: int, offset: int) -> dict[str, Any]:
    """K documents at once (run in a fresh process); topics ``offset`` .. ``offset + K - 1``."""
    ctx = writer_context(args)
    server = probe_server(warm_up(ctx))
    instructions = [instruction(offset + i, args.words) for i in range(k)]
    log(f"K={k}: {k} document(s) of {args.words} words on {server.kind}")
    before = prefix_counters(server)
    started = time.monotonic()
    results = asyncio.run(_write_batch(instructions, ctx))
    seconds = time.monotonic() - started
    after = prefix_counters(server)
    done = [r for r in results if isinstance(r, DocumentResult)]
    errors = [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)]
    tokens = sum(int(r.report["completion_tokens"]) for r in done)
    return {
        "benchmark": "scaling",
        "server": server.kind,
        "k": k,
        "target": args.words,
        "documents": len(done),
        "failed": len(errors),
        "errors": errors[:3],
        "seconds": round(seconds, 1),
        "completion_tokens": tokens,
        "aggregate_tok_s": _rate(tokens, seconds),
        "words": sum(int(r.report["words"]) for r in done),
        "mean_S_l": round(statistics.mean(r.report["length_score"] for r in done), 1)
        if done
        else None,
        "calls": sum(int(r.report["calls"]) for r in done),
        **_hit_rate(before, after),
        **machine(),
    }


def cmd_scaling(args: argparse.Namespace) -> dict[str, Any]:
    """One line per K, each K in a fresh process; returns the summary line."""
    rows, offset = [], 0
    spawn = multiprocessing.get_context("spawn")
    for k in args.k:
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            row = pool.submit(scaling_batch, args, k, offset).result()
        offset += k  # every document of the benchmark gets its own subject (while topics last)
        rows.append(row)
        print(json.dumps(row), flush=True)
    first = rows[0]
    speedup = [r["aggregate_tok_s"] / (first["aggregate_tok_s"] or 1.0) for r in rows]
    return {
        "benchmark": "scaling",
        "summary": True,
        "k": [r["k"] for r in rows],
        "aggregate_tok_s": [r["aggregate_tok_s"] for r in rows],
        "speedup": [round(s, 2) for s in speedup],
        "efficiency": [
            round(s * first["k"] / r["k"], 2) for s, r in zip(speedup, rows, strict=True)
        ],
        "failed": sum(r["failed"] for r in rows),
    }


# --- memory -----------------------------------------------------------------------------------------

_WORDS = """
the of and to in a is that for it as was with be by on not he this are or his from at which but have
an they you were her she there one all we their been has would when who will more no if out so said what
up its about into than them can only other new some could time these two may then do first any my now
such like our over man me even most made after also did many before must through years where much your
way well down should because each just those people how too little state good very make world still own
see men work long get here between both life being under never day same another know while last might us
great old year off come since against go came right used take three city river harbour market village
road bridge tower garden field forest mountain valley coast island season winter summer harvest grain
bread salt iron copper silver glass clay stone timber wool cloth ship cart horse trade merchant craft
guild school church council law tax coin price wage family child teacher doctor farmer builder sailor
soldier writer printer engine wheel lamp clock map letter book paper ink water fire wind rain light
early later during century decade region border people power change growth method tool measure record
history evidence example reason result question answer problem idea practice system network pattern
quickly slowly carefully widely rarely often always sometimes together apart slightly largely mostly
important common simple difficult useful ancient modern local distant public private careful steady
build carry grow teach learn write read measure trade travel settle repair protect describe explain
"""
VOCABULARY = list(dict.fromkeys(_WORDS.split()))
ZIPF = [1 / (rank + 1) ** 0.8 for rank in range(len(VOCABULARY))]


def synthetic_section(rng: random.Random, low: int = 300, high: int = 400) -> str:
    """A section of ``low``-``high`` words: paragraphs of 3-6 sentences of 8-24 Zipf-drawn words."""
    target, words, paragraphs = rng.randint(low, high), 0, []
    while words < target:
        sentences = []
        for _ in range(rng.randint(3, 6)):
            tokens = rng.choices(VOCABULARY, ZIPF, k=rng.randint(8, 24))
            sentences.append(" ".join(tokens).capitalize() + rng.choice(".....?!"))
            words += len(tokens)
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


@dataclass
class MemoryClock:
    """Seconds spent per memory operation, and per section."""

    totals: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    sections: list[float] = field(default_factory=list)

    @contextmanager
    def time(self, op: str) -> Iterator[None]:
        """Add the block's wall time to ``op``."""
        started = time.perf_counter()
        yield
        self.totals[op] = self.totals.get(op, 0.0) + time.perf_counter() - started
        self.calls[op] = self.calls.get(op, 0) + 1

    def mean_ms(self, op: str) -> float | None:
        """Mean milliseconds per call of ``op``."""
        return round(1000 * self.totals[op] / self.calls[op], 2) if self.calls.get(op) else None


def time_memory(kind: str, sections: int, attempts: int, seed: int = 0) -> MemoryClock:
    """Drive a fresh ``SectionMemory`` through ``sections`` sections as the agent does; time each step."""
    rng, clock = random.Random(seed), MemoryClock()
    ctx = WriterContext()
    with clock.time("setup"):  # the first use opens the memory and syncs it with an empty document
        memory: SectionMemory = open_memory(
            ":memory:", f"bench-{kind}-{sections}-{seed}", get_embedder(kind)
        )
        memory.sync([])
    for index in range(sections):
        started = time.perf_counter()
        title = " ".join(rng.choices(VOCABULARY, ZIPF, k=3)).title()
        point = " ".join(rng.choices(VOCABULARY, ZIPF, k=14)).capitalize() + "."
        draft = ""
        for _ in range(attempts):
            draft = synthetic_section(rng)
            if index:
                with clock.time("related"):
                    memory.related(f"{title}. {point} ", ctx.retrieve_k, before=index)
                with clock.time("near_duplicates"):
                    memory.near_duplicates(draft, ctx.duplicate_similarity, before=index)
        with clock.time("add_section"):
            memory.add_section(index, title, draft)
        clock.sections.append(time.perf_counter() - started)
    memory.drop()
    return clock


def llm_seconds_per_section(args: argparse.Namespace) -> tuple[float, dict[str, Any]]:
    """The flag, or one real ~400-word section generation on the server times ``--attempts``."""
    if args.llm_seconds_per_section is not None:
        return args.llm_seconds_per_section, {"llm_source": "flag"}
    ctx = writer_context(args)
    server = probe_server(warm_up(ctx, embedder=False))  # the embedder load is timed apart
    want = output_tokens(args.section_words, {})
    floor = int((want - 64) / OUTPUT_SLACK * ctx.min_tokens_ratio)
    log(f"timing one {args.section_words}-word section on {server.kind}")
    call = stream_chat(
        server, SECTION_PROMPT.format(n=args.section_words), max_tokens=want, min_tokens=floor
    )
    measured = {
        "llm_source": "measured",
        "llm_call_seconds": round(call.seconds, 2),
        "llm_call_words": count_words(call.text),
        "llm_call_tokens": call.tokens,
    }
    return call.seconds * args.attempts, measured


def cmd_memory(args: argparse.Namespace) -> dict[str, Any]:
    """Memory seconds per section, and their share of a run's time, per embedder and document size."""
    llm_per_section, llm_info = llm_seconds_per_section(args)
    started = time.perf_counter()  # the process's Chroma client starts once, whatever the embedder
    open_memory(":memory:", "bench-warm-up", get_embedder("hash")).drop()
    chroma_start = time.perf_counter() - started
    runs = []
    for kind in args.embeddings:
        started = time.perf_counter()
        get_embedder(kind).embed(["warm-up"])  # one-off model load, reported apart
        load = time.perf_counter() - started
        for n in args.sections:
            log(f"memory: {kind}, {n} sections x {args.attempts} attempts")
            clock = time_memory(kind, n, args.attempts)
            spent = sum(clock.totals.values())
            llm = n * llm_per_section
            tail = clock.sections[-min(5, n) :]
            runs.append(
                {
                    "embedding": kind,
                    "sections": n,
                    "load_seconds": round(load, 2),
                    "setup_ms": clock.mean_ms("setup"),
                    "related_ms": clock.mean_ms("related"),
                    "near_duplicates_ms": clock.mean_ms("near_duplicates"),
                    "add_section_ms": clock.mean_ms("add_section"),
                    "per_section_seconds": round(statistics.mean(clock.sections), 4),
                    "last_sections_seconds": round(statistics.mean(tail), 4),
                    "memory_seconds": round(spent, 2),
                    "llm_seconds": round(llm, 1),
                    "memory_share": round(spent / (spent + llm), 4),
                    "memory_share_with_load": round((spent + load) / (spent + load + llm), 4),
                }
            )
    return {
        "benchmark": "memory",
        "attempts_per_section": args.attempts,
        "llm_seconds_per_section": round(llm_per_section, 2),
        **llm_info,
        "chroma_start_seconds": round(chroma_start, 2),
        "runs": runs,
        **machine(),
    }


# --- command line -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The subcommands and their options."""
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    commands: dict[str, tuple[Callable[[argparse.Namespace], dict[str, Any]], str]] = {
        "overhead": (cmd_overhead, "agent time against one plain stream of as many tokens"),
        "prefix": (cmd_prefix, "vLLM prefix-cache hit rate over one agent run"),
        "scaling": (cmd_scaling, "aggregate tokens/s with K documents in flight"),
        "memory": (cmd_memory, "share of a run spent in Chroma + embeddings"),
    }
    for name, (func, summary) in commands.items():
        cmd = sub.add_parser(name, help=summary, description=summary)
        cmd.set_defaults(func=func)
        add_server_args(cmd, embedding=name != "memory")
        if name in ("overhead", "prefix"):
            cmd.add_argument("--words", type=int, default=3000, help="document length")
            add_out_dir(cmd)
        elif name == "scaling":
            cmd.add_argument("--k", type=int, nargs="+", default=[1, 2, 4, 8])
            cmd.add_argument("--words", type=int, default=600, help="length of each document")
        else:
            cmd.add_argument("--sections", type=int, nargs="+", default=[10, 50])
            cmd.add_argument("--embeddings", nargs="+", default=["minilm", "hash"])
            cmd.add_argument("--attempts", type=int, default=2, help="drafts per section")
            cmd.add_argument(
                "--llm-seconds-per-section",
                type=float,
                help="default: one real section generation, timed, x attempts",
            )
            cmd.add_argument("--section-words", type=int, default=400, help="for that timing")
    return parser


def main() -> None:
    args = build_parser().parse_args()
    print(json.dumps(args.func(args)), flush=True)


if __name__ == "__main__":
    main()
