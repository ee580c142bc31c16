"""Text utilities (no model calls): word counts, target lengths, language, repetition, sentences, reader metrics."""

from longwriter.text.form import DocumentForm, document_form
from longwriter.text.headings import duplicate_headings, heading_problems
from longwriter.text.labels import strip_step_labels
from longwriter.text.lang import detect_language, document_language
from longwriter.text.lang_request import requested_language
from longwriter.text.metrics import (
    duplicated_lines,
    length_score,
    looping,
    ngram_overlap,
    ngram_set,
    numbers_as_one,
    repeated_ngram_share,
)
from longwriter.text.numerals import parse_chinese_number
from longwriter.text.sentences import split_sentences, trim_to_sentence
from longwriter.text.subject import subject_of
from longwriter.text.target import parse_target_words
from longwriter.text.words import count_words, count_words_longbench, estimate_tokens, tokenize

__all__ = [
    "DocumentForm",
    "count_words",
    "count_words_longbench",
    "detect_language",
    "document_form",
    "document_language",
    "duplicate_headings",
    "duplicated_lines",
    "estimate_tokens",
    "heading_problems",
    "length_score",
    "looping",
    "ngram_overlap",
    "ngram_set",
    "numbers_as_one",
    "parse_chinese_number",
    "parse_target_words",
    "repeated_ngram_share",
    "requested_language",
    "split_sentences",
    "strip_step_labels",
    "subject_of",
    "tokenize",
    "trim_to_sentence",
]
