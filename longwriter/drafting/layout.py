"""The writer's prompt layout: a stable, growing prefix first, the per-step request last.

Layout (multi-turn, so every request's prefix is the previous request plus its answer, which vLLM's prefix
cache and llama.cpp's prompt cache reuse):

    system   writer rules
    user     instruction + title + plan (with the *planned* budgets, never rewritten)
             [+ summaries of sections before ``boundary`` once the text no longer fits the window]
             + the step message of the first section shown verbatim
    assistant/user   the exchanges of each accepted section from ``boundary`` on (replies as generated
                     when the clean-up only cut their ends), then the next step message
    user     ... ending with the current step: section, current budget, notes, retrieved passages

When the whole text no longer fits, ``boundary`` moves forward (by half the verbatim window at once, so
that the prefix stays stable for several sections) and retrieval from memory feeds the writer what it no
longer sees.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from longwriter.document import DocumentState, PlannedSection, SectionResult, Turn
from longwriter.memory import Passage
from longwriter.planning.parse import part_of
from longwriter.prompts import language_name, render
from longwriter.text import count_words, estimate_tokens, split_sentences

MESSAGE_OVERHEAD = 8  # chat-template tokens per message


def plan_text(plan: list[PlannedSection], language: str) -> str:
    """The plan as numbered lines, with planned budgets."""
    return "\n".join(
        render(
            "plan_line",
            language,
            index=i,
            title=s["title"],
            main_point=s["main_point"],
            words=s["words"],
        )
        for i, s in enumerate(plan, 1)
    )


def summarise(text: str, max_words: int = 60) -> str:
    """Extractive summary: the first and last sentences, clipped to about ``max_words`` words."""
    sentences = split_sentences(text)
    if not sentences:
        return ""
    picked = sentences[:1] + (sentences[-1:] if len(sentences) > 1 else [])
    words = " ".join(picked).split()
    return " ".join(words[:max_words]) if len(words) > 1 else "".join(picked)[: max_words * 2]


def task_message(state: DocumentState, boundary: int, dropped: int = 0) -> str:
    """First user message: instruction, plan and (from ``boundary`` on) summaries of earlier sections."""
    lang = state["language"]
    text = render(
        "writer_task",
        lang,
        instruction=state["instruction"].strip(),
        title=state["title"],
        target_words=state["target_words"],
        language_name=language_name(lang, lang),
        plan=plan_text(state["sections_plan"], lang),
    )
    if boundary > 0:
        done = state.get("sections", [])[dropped:boundary]
        lines = "\n".join(f"{s['index'] + 1}. {s['title']}: {s['summary']}" for s in done)
        text += "\n\n" + render("summary_block", lang, summaries=lines)
    return text


def step_message(
    state: DocumentState, index: int, budget: int, template: str = "write_step", **extra: object
) -> str:
    """The request for section ``index`` (with the closing note on the last section)."""
    lang = state["language"]
    plan = state["sections_plan"]
    section = plan[index]
    text = render(
        template,
        lang,
        index=index + 1,
        total=len(plan),
        title=section["title"],
        main_point=section["main_point"],
        words=budget,
        **extra,
    )
    part = part_of(section)
    if part and part[0] > 1 and template != "continue_step":
        text += "\n" + render("later_part_note", lang, part=part[0], parts=part[1])
    if index == len(plan) - 1 and template != "continue_step":
        text += "\n\n" + render("last_section_note", lang)
    note = sources_note(state)
    if note and template != "continue_step":  # a continuation replays the step that had them
        text += "\n\n" + note
    return text


SOURCE_PASSAGE_WORDS = 160
"""Words shown of each source passage (chunks are about 120, so most are shown whole)."""


def sources_note(state: DocumentState) -> str:
    """The source passages given to the current section, numbered as it should cite them; "" for a
    document without sources."""
    given = state.get("given") or []
    if not given:
        return ""
    quoted = "\n".join(f"[{g['n']}] {_clip(g['text'], SOURCE_PASSAGE_WORDS)}" for g in given)
    return render("sources_note", state["language"], passages=quoted)


TAIL_WORDS = 120  # words of the text so far that a compact request shows


def text_tail(text: str, words: int = TAIL_WORDS) -> str:
    """The end of ``text``: its last sentences, about ``words`` words at most (at least one)."""
    picked: list[str] = []
    for sentence in reversed(split_sentences(text)):
        if picked and len(" ".join([sentence, *picked]).split()) > words:
            break
        picked.insert(0, sentence)
    return " ".join(picked)


def compact_messages(
    state: DocumentState,
    index: int,
    words: int,
    turns: list[Turn],
    passages: list[Passage],
    prior: list[Turn] | None = None,
) -> list[BaseMessage]:
    """A short request for (more of) section ``index``. The first one of a section holds the
    instruction (a prefix that stays the same for the whole run), retrieved passages, the end of
    the previous section and the step; each later one continues that conversation (``turns``: the
    exchanges so far, replayed as sent and said, so every request extends the previous one and the
    server's prefix cache serves it). With ``prior`` (see ``chained_turns``) the section continues
    the conversation of the sections before it instead of opening its own, so the server reuses
    their prefix too. Measured on the embedded model: paragraphs stay closer to the subject than
    under the full history of its own earlier text, and the request holds nothing it could copy (an
    outline in the request came back as "Outline: 1. ... 2. ..." inside the text, "part 2 of 5" as
    "Part 2:")."""
    lang = state["language"]
    plan = state["sections_plan"]
    section = plan[index]
    values = {
        "title": section["title"],
        "main_point": section["main_point"],
        "words": words,
        "subject": state.get("subject") or state["title"],
        "language_name": language_name(lang, lang),
    }
    system = SystemMessage(render("writer_system", lang))
    earlier = turn_messages(prior or [])
    if turns:
        step = render("compact_continue", lang, **values)
        return [system, *earlier, *turn_messages(turns), HumanMessage(step)]
    parts = [] if prior else [_opening(state)]
    if passages:
        quoted = "\n".join(f"- {_clip(p.text, 60)}" for p in passages)
        parts.append(render("passages_note", lang, passages=quoted))
    previous = state["sections"][-1]["text"] if state.get("sections") else ""
    if previous.strip() and not prior:
        parts.append(render("compact_tail", lang, tail=text_tail(previous)))
    note = sources_note(state)
    if note:
        parts.append(note)
    step = render("compact_step", lang, **values)
    if index == len(plan) - 1:
        step += "\n" + render("last_section_note", lang)
    parts.append(step)
    return [system, *earlier, HumanMessage("\n\n".join(parts))]


def _opening(state: DocumentState) -> str:
    return render("compact_task", state["language"], request=state["instruction"].strip())


def chained_turns(state: DocumentState, index: int, max_words: int) -> tuple[int, list[Turn]]:
    """Where section ``index``'s compact conversation starts and the accepted exchanges it continues:
    those of the sections since the last one that opened a conversation, while they hold at most
    ``max_words`` words; else (or with ``max_words`` 0, or after a gap) ``(index, [])``, a new one.
    Decided from the accepted sections alone, so every call of a section (and a resume) agrees."""
    sections = state.get("sections", [])
    if max_words <= 0 or not sections or sections[-1]["index"] != index - 1:
        return index, []
    opening = _opening(state)
    start = len(sections) - 1
    while start >= 0 and sections[start]["turns"]:
        if sections[start]["turns"][0]["prompt"].startswith(opening):
            chain = [t for s in sections[start:] for t in s["turns"]]
            size = sum(count_words(t["prompt"]) + count_words(t["said"]) for t in chain)
            return (sections[start]["index"], chain) if size <= max_words else (index, [])
        start -= 1
    return index, []


def with_passages(
    tail: list[BaseMessage], passages: list[Passage], language: str
) -> list[BaseMessage]:
    """The tail with retrieved passages appended to its last (current) request."""
    if not passages:
        return tail
    quoted = "\n".join(f"- ({p.title}) {_clip(p.text, 90)}" for p in passages)
    note = render("passages_note", language, passages=quoted)
    return [*tail[:-1], HumanMessage(f"{tail[-1].content}\n\n{note}")]


def _clip(text: str, words: int) -> str:
    parts = text.split()
    return text if len(parts) <= words else " ".join(parts[:words]) + " …"


@dataclass(frozen=True)
class Layout:
    """A fitted prompt: the messages and the boundary it needed."""

    messages: list[BaseMessage]
    boundary: int
    prompt_tokens: int


def turn_messages(turns: list[Turn]) -> list[BaseMessage]:
    """Exchanges as chat messages, user then assistant."""
    out: list[BaseMessage] = []
    for turn in turns:
        out += [HumanMessage(turn["prompt"]), AIMessage(turn["said"])]
    return out


def answered(turns: list[Turn], text: str) -> list[Turn]:
    """The exchanges to replay for ``text`` when it no longer matches the replies in ``turns`` (a
    deterministic fix or a rewrite): the first request, answered by ``text``."""
    return [{"prompt": turns[0]["prompt"], "said": text}]


def _history(sections: list[SectionResult]) -> list[BaseMessage]:
    return [m for s in sections for m in turn_messages(s["turns"])]


def estimate(messages: list[BaseMessage], ratio: float) -> int:
    """Estimated prompt tokens, scaled by the ratio learned from the server's real counts."""
    raw = sum(estimate_tokens(str(m.content)) + MESSAGE_OVERHEAD for m in messages)
    return int(raw * ratio)


def layout(
    state: DocumentState, tail: list[BaseMessage], *, budget_tokens: int, ratio: float
) -> Layout:
    """Messages for the current step that fit in ``budget_tokens``, moving the boundary only when needed."""
    sections = state.get("sections", [])
    current = len(sections)
    system = SystemMessage(render("writer_system", state["language"]))

    def build(boundary: int, dropped: int = 0) -> list[BaseMessage]:
        # The task (instruction, plan, summaries) opens the first user turn, so turns alternate
        # user/assistant as chat templates expect; small models echo the plan otherwise.
        turns = _history(sections[boundary:]) + tail
        first = HumanMessage(f"{task_message(state, boundary, dropped)}\n\n{turns[0].content}")
        return [system, first, *turns[1:]]

    boundary = min(state.get("boundary", 0), current)
    messages = build(boundary)
    if estimate(messages, ratio) > budget_tokens:
        needed = next(
            (
                b
                for b in range(boundary + 1, current + 1)
                if estimate(build(b), ratio) <= budget_tokens
            ),
            current,
        )
        boundary = needed + (current - needed) // 2
        messages = build(boundary)
        dropped = 0
        while estimate(messages, ratio) > budget_tokens and dropped < boundary:
            dropped += max(1, boundary // 8)  # oldest summaries go first; the plan still lists them
            messages = build(boundary, min(dropped, boundary))
    return Layout(messages, boundary, estimate(messages, ratio))
