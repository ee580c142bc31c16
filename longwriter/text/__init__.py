"""Pure-Python text utilities: word counts, target lengths, language, repetition, sentences."""

from longwriter.text.labels import strip_step_labels
from longwriter.text.lang import detect_language
from longwriter.text.metrics import (
    duplicated_lines,
    length_score,
    ngram_overlap,
    ngram_set,
    repeated_ngram_share,
)
from longwriter.text.numerals import parse_chinese_number
from longwriter.text.sentences import split_sentences, trim_to_sentence
from longwriter.text.target import parse_target_words
from longwriter.text.words import count_words, estimate_tokens, tokenize

__all__ = [
    "count_words",
    "detect_language",
    "duplicated_lines",
    "estimate_tokens",
    "length_score",
    "ngram_overlap",
    "ngram_set",
    "parse_chinese_number",
    "parse_target_words",
    "repeated_ngram_share",
    "split_sentences",
    "strip_step_labels",
    "tokenize",
    "trim_to_sentence",
]
