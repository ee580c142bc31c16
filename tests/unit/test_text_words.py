"""Word counting, tokenization, token estimates and sentence helpers."""

import pytest

from longwriter.text import (
    count_words,
    count_words_longbench,
    estimate_tokens,
    split_sentences,
    tokenize,
    trim_to_sentence,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("   \n\t", 0),
        ("!!! ... --- ，。？", 0),
        ("Hello, world!", 2),
        ("A well-known fact: don't panic, it's 3.5 times faster.", 9),
        ("10,000 words, e.g. in the U.S.", 6),
        ("snake_case and __bold__ and *italic*", 5),
        ("## Heading\n\n- item one\n- item two\n\n| a | b |\n|---|---|", 7),
        ("我用Python写了3个程序", 9),  # 7 Han + "Python" + "3"
        ("一万字的文章。", 6),
        ("これはペンです", 7),
        ("한국어 문장", 5),
        ("Привет, мир", 2),
        ("café naïve", 2),
        ("cafe\u0301 au lait", 3),  # decomposed accent stays inside the word
        ("日本語とEnglish、混ざった文", 10),
    ],
)
def test_count_words(text: str, expected: int) -> None:
    assert count_words(text) == expected


# LongBench-Write's counter, whatever its quirks: Han characters in U+4E00-U+9FFF plus ASCII letter
# runs between word boundaries (a Latin word glued to a Han character, digit or "_" has none).
@pytest.mark.parametrize(
    ("text", "expected", "ours"),
    [
        ("", 0, 0),
        ("!!! ... --- ，。？", 0, 0),
        ("Hello, world!", 2, 2),
        ("## Heading\n\n- item one\n- item two", 5, 5),
        ("A well-known fact", 4, 3),  # hyphenated: two words
        ("don't panic, it's fine", 6, 4),  # apostrophes split words
        ("Don’t stop", 3, 2),
        ("10,000 words in 2024", 2, 4),  # digits are not words
        ("3.5 times, e.g. in the U.S.", 7, 6),
        ("GPT4 and GPT-4", 2, 3),  # "GPT4": letters glued to a digit
        ("snake_case and __bold__", 1, 3),
        ("café naïve résumé", 0, 3),  # accented letters: no ASCII run between word boundaries
        ("cafe\u0301 au lait", 3, 3),  # decomposed: "cafe" is followed by a non-word mark
        ("Ünïcödé ok", 1, 2),
        ("Привет, мир", 0, 2),
        ("人工智能正在改变世界。", 10, 10),
        ("一万字的文章。", 6, 6),
        ("我用Python写了3个程序", 7, 9),  # "Python" glued to Han characters
        ("我用 Python 写了 3 个程序", 8, 9),
        ("这是GPT-4模型", 4, 5),
        ("日本語の文章", 5, 6),  # kanji count, kana do not
        ("これはペンです", 0, 7),
        ("한국어 문장", 0, 5),
        ("\U00020000", 0, 1),  # CJK extension B is outside U+4E00-U+9FFF
    ],
)
def test_count_words_longbench(text: str, expected: int, ours: int) -> None:
    assert count_words_longbench(text) == expected
    assert count_words(text) == ours  # the general counter, for contrast


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("The CAT, the cat!", ["the", "cat", "the", "cat"]),
        ("Don’t stop", ["don't", "stop"]),
        ("我用Python写", ["我", "用", "python", "写"]),
        ("**Bold** — text…", ["bold", "text"]),
    ],
)
def test_tokenize(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        (" ", 1),
        ("a", 1),
        ("hello", 2),  # 5 / 3.2 = 1.56
        ("a" * 32, 10),
        ("a" * 33, 11),
        ("中", 2),  # 1.3
        ("中文字", 4),  # 3.9
        ("我用Python写了3个程序", 12),  # 7 / 3.2 + 7 * 1.3 = 11.29
    ],
)
def test_estimate_tokens(text: str, expected: int) -> None:
    assert estimate_tokens(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("No punctuation here", ["No punctuation here"]),
        ("One. Two! Three? Four…", ["One.", "Two!", "Three?", "Four…"]),
        ("Hello world.  This is Dr. Smith.", ["Hello world.", "This is Dr. Smith."]),
        (
            "Use tools, e.g. hammers. The U.S. Army won.",
            ["Use tools, e.g. hammers.", "The U.S. Army won."],
        ),
        ("J. K. Rowling wrote it. Yes.", ["J. K. Rowling wrote it.", "Yes."]),
        (
            "Version 3.5 is out. See example.com now.",
            ["Version 3.5 is out.", "See example.com now."],
        ),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        ('"Really?" she asked. (It was.) Fine.', ['"Really?" she asked.', "(It was.)", "Fine."]),
        ("Wait... and then. Next", ["Wait... and then.", "Next"]),
        ("你好。我是谁？不知道！好的", ["你好。", "我是谁？", "不知道！", "好的"]),
        ("他说：“你好。”然后走了。", ["他说：“你好。”", "然后走了。"]),
        ("他想了想……然后笑了。", ["他想了想……然后笑了。"]),
        (
            "# Title\n1. First point. More.\n2. Second",
            ["# Title", "1. First point.", "More.", "2. Second"],
        ),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("Complete sentence.", "Complete sentence."),
        ("Complete sentence.\n\n", "Complete sentence.\n\n"),
        ('She said "yes."', 'She said "yes."'),
        ("No sentence end at all", "No sentence end at all"),
        ("First one. Second is cut", "First one."),
        ("First one! Second is cut off mid", "First one!"),
        ("Para one.\n\n## Heading\n\nPara two is cu", "Para one."),
        ("Dr. Smith arrived. Then Dr. Wh", "Dr. Smith arrived."),
        ("It is 3.5 times as big. The value 2.", "It is 3.5 times as big. The value 2."),
        ("第一句。第二句还没写", "第一句。"),
        ("他说：“好。”然后", "他说：“好。”"),
        ("Text.\n\n```python\nprint(1)\n```", "Text.\n\n```python\nprint(1)\n```"),
        ("Text.\n\n| a | b |", "Text.\n\n| a | b |"),
    ],
)
def test_trim_to_sentence(text: str, expected: str) -> None:
    assert trim_to_sentence(text) == expected
