"""Language detection."""

import pytest

from longwriter.text import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "en"),
        ("   \n", "en"),
        ("12345 !!! ---", "en"),
        ("Python LangGraph", "en"),
        ("The cat is on the table and it sleeps in the house.", "en"),
        ("Le chat est sur la table et il dort dans la maison.", "fr"),
        ("Der Hund ist nicht in dem Haus und die Katze auch nicht.", "de"),
        ("El perro está en la casa y los gatos son muy bonitos.", "es"),
        ("Il gatto è sulla tavola e non dorme nella casa.", "it"),
        ("O gato está na mesa e não dorme em casa com os cães.", "pt"),
        ("De kat is op de tafel en het huis is niet groot.", "nl"),
        ("人工智能正在改变世界。", "zh"),
        ("我用Python写了3个程序", "zh"),
        ("使用LangGraph和Chroma构建智能体", "zh"),
        ("东京", "zh"),  # Han only, no kana
        ("これは日本語の文章です。", "ja"),
        ("人工知能は世界を変えている。", "ja"),
        ("안녕하세요, 반갑습니다.", "ko"),
        ("Привет, как дела?", "ru"),
        ("مرحبا بالعالم", "ar"),
        ("Γειά σου κόσμε", "el"),
        ("שלום עולם", "he"),
        ("สวัสดีครับ", "th"),
        ("नमस्ते दुनिया", "hi"),
        ("中文为主的文章，偶尔引用一个日语词「の」而已，其余都是中文内容。", "zh"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected
