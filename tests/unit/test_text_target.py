"""Required-length extraction from instructions and the Chinese numeral parser."""

import pytest

from longwriter.text import parse_chinese_number, parse_target_words


@pytest.mark.parametrize(
    ("instruction", "expected"),
    [
        # English
        ("Write a 10000-word essay on climate change.", 10000),
        ("Write a 10,000-word report.", 10000),
        ("Write a 10 000 word essay.", 10000),
        ("Write at least 2000 words about cats.", 2000),
        ("Write about 1.5k words.", 1500),
        ("A 5k words story, please.", 5000),
        ("No fewer than 3,000 words.", 3000),
        ("Write between 2000 and 3000 words.", 2500),
        ("Write 2000-3000 words.", 2500),
        ("Write 2,000–3,000 words.", 2500),
        ("Write from 2000 words to 3000 words.", 2500),
        ("Write 2-3k words.", 2500),
        ("Write two thousand words.", 2000),
        ("Write a thousand-word essay.", 1000),
        ("Write fifteen hundred words.", 1500),
        ("Word count: 4000.", 4000),
        ("Schreibe einen Aufsatz mit 10.000 Wörtern.", 10000),
        ("Write ２０００ words.", 2000),
        # Chinese
        ("写一篇一万字的文章", 10000),
        ("写一篇5000字的小说", 5000),
        ("不少于3000字", 3000),
        ("两千字左右", 2000),
        ("1.5万字的报告", 15000),
        ("三千五百字", 3500),
        ("五千字以上", 5000),
        ("字数不少于8000", 8000),
        ("字数：3000-5000。", 4000),
        ("約2000字で書いてください", 2000),
        ("2000文字程度", 2000),
        ("1万2千字", 12000),
        ("两到三千字", 2500),
        ("3~5千字", 4000),
        ("写一篇2w字的文章", 20000),
        ("二十万字的长篇小说", 200000),
        # numbers that are not lengths
        ("Write an essay", None),
        ("写一篇关于人工智能的文章", None),
        ("List the top 10 tips", None),
        ("What happened in 1990?", None),
        ("Write 3 chapters", None),
        ("A 500 pages book", None),
        ("The length of 3 chapters is fine", None),
        ("Write about 3 kids from 1990 to 2000", None),
        ("写3个故事，每个故事分5段", None),
        # several numbers: the word-tied (and largest) one wins
        ("Write 3 chapters with the top 10 tips since 1990, 5000 words in total.", 5000),
        ("Expand this 500-word outline into a 5000-word essay.", 5000),
        ("写一篇五千字的文章，分3个部分", 5000),
        ("Word count 300, but write 2000 words", 2000),
    ],
)
def test_parse_target_words(instruction: str, expected: int | None) -> None:
    assert parse_target_words(instruction) == expected


@pytest.mark.parametrize(
    ("numeral", "expected"),
    [
        ("十", 10),
        ("十五", 15),
        ("二十", 20),
        ("一百五", 150),
        ("两千", 2000),
        ("两千五", 2500),
        ("三千五百", 3500),
        ("一千零五十", 1050),
        ("一万", 10000),
        ("一万二", 12000),
        ("十二万三千", 123000),
        ("一亿二千万", 120_000_000),
        ("3亿", 300_000_000),
        ("一万亿", 10**12),
        ("壹万贰仟", 12000),
        ("1.5万", 15000),
        ("1万2千", 12000),
        ("1万2000", 12000),
        ("5000", 5000),
        ("二〇二四", 2024),
        ("零", 0),
        ("", None),
        ("三四千", None),
        ("abc", None),
        ("一万字", None),
    ],
)
def test_parse_chinese_number(numeral: str, expected: float | None) -> None:
    assert parse_chinese_number(numeral) == expected
