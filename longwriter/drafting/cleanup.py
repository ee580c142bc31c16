"""Deterministic repairs of a drafted section: leaked labels, repeated headings, cut-off endings, repeats."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from longwriter.document import PART_MARKER
from longwriter.planning.parse import LIST_BULLET
from longwriter.text import (
    count_words,
    ngram_overlap,
    ngram_set,
    numbers_as_one,
    split_sentences,
    strip_step_labels,
    trim_to_sentence,
)
from longwriter.text.junk import strip_citation_marks
from longwriter.text.meta import is_meta

_TRAILING_COUNT = re.compile(
    r"\s*[(（]?\s*(?:word\s*count\s*[:：]?\s*)?\d[\d,]*\s*(?:words?|字)\s*[)）]?\s*$", re.IGNORECASE
)
LEAK_MARKERS = re.compile(
    r"<think>|</think>|^\s*(?:paragraph|section)\s*\d+\s*[-–—:]|word\s*count\s*:|字数要求",
    re.IGNORECASE | re.MULTILINE,
)


def strip_labels(text: str) -> str:
    """Remove step labels ("Paragraph 3 -", "第3段："), copied plan lines and a trailing word count."""
    return _TRAILING_COUNT.sub("", strip_step_labels(text)).strip()


def _norm(s: str) -> str:
    """A sentence as repeats are found: lowercase words, numbers as one ("The press: 1450" and
    "The press: 1485" are the same line of a counting loop)."""
    return numbers_as_one(re.sub(r"[\W_]+", " ", s.lower())).strip()


def strip_heading(text: str, title: str, others: Sequence[str] = ()) -> str:
    """Drop leading heading lines (Markdown headings, or a bare line repeating the section title or
    one of ``others``: the document title, other headings)."""
    lines = text.strip().splitlines()
    keys = {_norm(t) for t in [title, *others]} - {""}
    while lines:
        first = lines[0].strip()
        bare = _norm(first.lstrip("#").strip("* "))
        if first.startswith("#") or bare in keys or not first:
            lines.pop(0)
            continue
        break
    return "\n".join(lines).strip()


_MARKDOWN_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+\S")


def drop_inner_headings(text: str, titles: Sequence[str] = ()) -> str:
    """Drop Markdown heading lines anywhere in a reply, and bare lines repeating a planned heading
    or the title: the document sets its own headings (a reply of the embedded model carried a
    "### Advantages of Heat Pumps" under the section of that name)."""
    keys = {_norm(t) for t in titles} - {""}
    kept = [
        line
        for line in text.split("\n")
        if not _MARKDOWN_HEADING.match(line) and _norm(line.strip("*_ ")) not in keys
    ]
    return "\n".join(kept)


def drop_plan_lines(text: str, titles: Sequence[str]) -> str:
    """Drop lines that restate the plan: a (numbered) section heading followed by a colon, or a bare
    "(2/3)" part marker."""
    keys = {_norm(t) for t in titles} - {""}
    kept = [
        line
        for line in text.split("\n")
        if not PART_MARKER.fullmatch(line)
        and (":" not in line or _norm(LIST_BULLET.sub("", line).split(":", 1)[0]) not in keys)
    ]
    return "\n".join(kept)


ECHO_PART_WORDS = 4
"""A reply line of at least this many words that occurs inside a prompt line is an echo."""


def drop_echoed_lines(text: str, prompt: str) -> str:
    """Drop lines that copy a line of the prompt ("Title: ...", "Language: English", the step's own
    request) or a stretch of one ("The Birth of the Press, as part of the press and Europe:", the
    section's point as the request gave it), and such a stretch used as a label before the text
    ("The printing press begins: In 1439 ..." from the point "Where the printing press begins:
    ..."): small models echo the request's fields back."""
    keys = [key for key in map(_norm, prompt.splitlines()) if len(key.split()) >= 2]
    whole, echoed = "|".join(f" {key} " for key in keys), set(keys)

    def echo(part: str) -> bool:
        key = _norm(part)
        return key in echoed or (len(key.split()) >= ECHO_PART_WORDS and f" {key} " in whole)

    def unlabelled(line: str) -> str:
        label, colon, rest = line.partition(":")
        return rest.strip() if colon and rest.strip() and echo(label) else line

    return "\n".join(unlabelled(line) for line in text.split("\n") if not echo(line))


TEMPLATE_RUN = 5
"""A sentence that copies this many words in a row of the request's own wording is an echo."""


def drop_template_echoes(text: str, prompt: str, topic: str) -> str:
    """Drop sentences that copy a run of :data:`TEMPLATE_RUN` words of the request in which no word
    belongs to the ``topic``: the request's wording, not the subject ("Key Takeaways from the article
    on solar microgrids, with details it does not have yet.": the end of a continue request)."""
    subject = {word for (word,) in ngram_set(topic, 1)}
    wording = {gram for gram in ngram_set(prompt, TEMPLATE_RUN) if subject.isdisjoint(gram)}
    if not wording:
        return text
    return keep_sentences(text, lambda sentence: not ngram_set(sentence, TEMPLATE_RUN) & wording)


PROSE_LINE_WORDS = 12  # a line this long that ends a sentence is a paragraph, not a verse line


def split_prose_lines(text: str) -> str:
    """Make every long prose line its own paragraph: small models separate paragraphs by a single
    line break, which Markdown joins into one wall of text. Lists, tables and short (verse) lines
    are left as they are."""

    def prose(line: str) -> bool:
        return (
            count_words(line) >= PROSE_LINE_WORDS
            and not LIST_BULLET.match(line)
            and not line.lstrip().startswith(("#", "|", ">"))
            and trim_to_sentence(line) == line
        )

    blocks = []
    for block in re.split(r"\n\s*\n", text):
        lines = block.strip().split("\n")
        blocks.append("\n\n".join(lines) if all(map(prose, lines)) else block.strip())
    return "\n\n".join(b for b in blocks if b)


def clean_draft(
    text: str,
    title: str,
    truncated: bool,
    *,
    language: str = "en",
    topic: str = "",
    titles: Sequence[str] = (),
    prompt: str = "",
    cites: bool = False,
) -> str:
    """All deterministic clean-ups of a fresh model reply (``topic``: instruction and section plan;
    ``titles``: the document title and every planned heading; ``prompt``: the text of the request
    it answers; ``cites``: the section was given sources, so its [n] marks are kept for the
    citation check)."""
    if not cites:
        text = strip_citation_marks(text, topic.partition("\n")[0])
    text = drop_echoed_lines(drop_plan_lines(strip_labels(text), titles), prompt)
    text = drop_template_echoes(text, prompt, topic) if prompt and topic else text
    text = drop_inner_headings(strip_heading(text, title, titles), titles)
    text = drop_meta(re.sub(r"\n{3,}", "\n\n", text), language, topic)
    return split_prose_lines(trim_to_sentence(text) if truncated else text)


def replay_text(
    raw: str, clean: str, title: str, truncated: bool, titles: Sequence[str] = ()
) -> str:
    """The assistant turn that later prompts replay: the reply exactly as generated when the clean-up
    only removed a leading heading and (for a reply cut by ``max_tokens``) its unfinished last
    sentence, so the next request begins with tokens already in the server's prefix cache; otherwise
    the clean text, so that labels, meta-talk and repeats are not shown back to the model."""
    benign = strip_heading(raw, title, titles)
    if truncated:
        benign = trim_to_sentence(benign)
    return raw if benign.split() == clean.split() and clean.strip() else clean


NEAR_N, NEAR_SHARE = 5, 0.5  # a sentence half made of 5-grams said before is a near repeat
MIN_REPEAT_CHARS = 20  # shorter sentences ("Yes.", "It worked.") may recur naturally


def sentence_keys(text: str) -> set[str]:
    """Normalised sentences of ``text`` long enough to count as repeats."""
    return {k for k in map(_norm, split_sentences(text)) if len(k) >= MIN_REPEAT_CHARS}


def keep_sentences(text: str, keep: Callable[[str], bool]) -> str:
    """``text`` with only the sentences ``keep`` accepts (called in order); paragraphs and the line
    breaks inside them (lists, verse) are kept, emptied ones dropped."""
    paragraphs = []
    for para in re.split(r"\n\s*\n", text):
        lines = []
        for line in para.splitlines():
            kept = [s for s in split_sentences(line) if keep(s)]
            joined = (" " if " " in line else "").join(kept)
            if count_words(joined):
                lines.append(joined)
        if lines:
            paragraphs.append("\n".join(lines).strip())
    return "\n\n".join(paragraphs)


COPIED_RUN = 10
"""A sentence that repeats this many words in a row from an earlier one is a copy, however long it is
(SmolLM2 re-opened paragraphs with a 30-word clause of an earlier one and ran on with ";")."""


def drop_repeats(
    text: str,
    earlier: set[tuple[str, ...]],
    max_overlap: float,
    seen: set[str] | None = None,
    n: int = 8,
) -> str:
    """Remove paragraphs that mostly repeat earlier sections (8-gram overlap above ``max_overlap``) and
    sentences already said, in this section or in ``seen`` (sentence keys of the document so far):
    word for word, nearly (half of the sentence's 5-grams said before), or in part (a run-on
    sentence that copies a run of :data:`COPIED_RUN` words)."""
    seen = set(seen or ())
    said = set().union(*(ngram_set(key, NEAR_N) for key in seen))
    runs = set().union(*(ngram_set(key, COPIED_RUN) for key in seen))
    if earlier:
        paragraphs = re.split(r"\n\s*\n", text)
        text = "\n\n".join(p for p in paragraphs if ngram_overlap(p, earlier, n) <= max_overlap)

    def fresh(sentence: str) -> bool:
        key = _norm(sentence)
        if len(key) < MIN_REPEAT_CHARS:
            return True
        grams, long_grams = ngram_set(key, NEAR_N), ngram_set(key, COPIED_RUN)
        if key in seen or (len(grams) >= 4 and len(grams & said) >= NEAR_SHARE * len(grams)):
            return False
        if long_grams & runs:
            return False
        seen.add(key)
        said.update(grams)
        runs.update(long_grams)
        return True

    return keep_sentences(text, fresh)


def drop_meta(text: str, language: str, topic: str) -> str:
    """Remove sentences that talk about the writing task instead of the subject (see ``is_meta``)."""
    return keep_sentences(text, lambda sentence: not is_meta(sentence, language, topic))


def clip_to_words(text: str, limit: int) -> str:
    """Cut a too-long section at the last sentence end within ``limit`` words (never below half)."""
    if count_words(text) <= limit:
        return text
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        kept: list[str] = []
        for sentence in split_sentences(para):
            if count_words("\n\n".join([*out, " ".join([*kept, sentence])])) > limit:
                break
            kept.append(sentence)
        if kept:
            out.append(" ".join(kept))
        if len(kept) < len(split_sentences(para)):
            break
    clipped = "\n\n".join(out)
    return clipped if count_words(clipped) >= limit // 2 else text
