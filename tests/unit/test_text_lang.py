"""Language of a text, the language an instruction asks for, and the document's language.

The expected values are what a reader expects the document to be written in; they were written
before the detector was tuned.
"""

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from longwriter.text import detect_language, document_language, requested_language

CODES = {
    "en",
    "zh",
    "ja",
    "ko",
    "fr",
    "de",
    "es",
    "it",
    "pt",
    "nl",
    "ru",
    "ar",
    "el",
    "he",
    "th",
    "hi",
}
NAMED = {"en", "zh", "ja", "ko", "fr", "de", "es", "it", "pt", "nl", "ru", "ar"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "en"),
        ("   \n", "en"),
        ("12345 !!! ---", "en"),
        ("https://example.com/a/b?c=1 42", "en"),
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
        # A detector, not a request parser: a Chinese instruction asking for English is Chinese text.
        ("帮我用英文写一篇关于郭沫若生平的文章", "zh"),
        ("The word 学而时习之 opens the Analects; it is often quoted in essays.", "en"),
        (
            "Photosynthesis converts light energy into chemical energy. "
            "It takes place in the chloroplasts of plant cells, in two stages. " * 40,
            "en",
        ),
        (
            "La photosynthèse transforme l'énergie lumineuse en énergie chimique. "
            "Elle a lieu dans les chloroplastes des cellules végétales. " * 40,
            "fr",
        ),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    ("instruction", "expected"),
    [
        ("Write an essay about tea in English.", "en"),
        ("The story must be written in French.", "fr"),
        ("Write a blog post about Berlin auf Deutsch.", "de"),
        ("Write a cover letter en français", "fr"),
        ("Write a short story about the sea en español", "es"),
        ("Write a 2000-word guide to cycling in het Nederlands.", "nl"),
        ("Write a haiku sequence about autumn in Japanese.", "ja"),
        ("帮我用英文写一篇关于郭沫若生平的文章", "en"),
        ("请用英语写一篇关于长城的文章，3000字", "en"),
        ("以英文撰写一份关于人工智能伦理的报告", "en"),
        ("英文写一篇介绍上海的旅游指南", "en"),
        ("Write a 3000-word essay about the Silk Road. 请用中文。", "zh"),
        ("Explain how transformers work, 中文回答", "zh"),
        ("Write a story about a cat 日本語で", "ja"),
        ("Write a travel guide to Seoul 한국어로", "ko"),
        ("Write an essay about Tolstoy на русском языке", "ru"),
        ("Translate the following paragraph into Chinese: the weather is nice today.", "zh"),
        # Decision: translating into a language is a request for output in that language.
        ("把下面这段话翻译成英文：春眠不觉晓，处处闻啼鸟。", "en"),
        ("Do not write in French; write a 3000-word essay about Lyon.", None),
        # Mentions of a language that are not requests.
        ("Write a history of English literature", None),
        ("Write a 5000-word essay on the French Revolution", None),
        ("Write an article about Chinese cuisine", None),
        ("Write about the German economy after 1990", None),
        ("Write a review of English-language newspapers in Asia", None),
        ("Write an essay about the subjunctive in French", None),
        ("Write a guide on how to write in German", None),
        ("Write a story in Chinese style about a dragon", None),
        ("Discuss the influence of Arabic in Spanish", None),
        ("写一篇关于英文写作技巧的文章", None),
        ("写一篇文章，介绍如何用英语回答面试问题", None),
        ("写一篇关于法国大革命的文章，5000字", None),
        ("Écris un essai sur la littérature anglaise", None),
        ("Schreibe einen Artikel über die chinesische Küche", None),
        ("Напиши статью об английской литературе", None),
        ("اكتب مقالا عن تاريخ اللغة الإنجليزية", None),
        ("영어 교육에 관한 에세이를 써 주세요", None),
        ("Write a novel", None),
        ("", None),
        # Letters that re.IGNORECASE matches but str.lower does not map back.
        ("Write it in Engliſh", "en"),
        ("WRITE IT IN İTALIAN", "it"),
        ("Напиши на руᲃᲃком", "ru"),
    ],
)
def test_requested_language(instruction: str, expected: str | None) -> None:
    assert requested_language(instruction) == expected


DOCUMENTS = [
    # The examples.
    ("Write a 10000-word novel", "en"),
    ("Write a 4000 words introduction about panda", "en"),
    ("A Hong Kong Travel Guide, approximately 3000 words", "en"),
    ("Write 5000 words essay about walking in sprit", "en"),
    ("帮我用英文写一篇关于郭沫若生平的文章", "en"),
    # English, short and long, numbers, foreign names, other languages mentioned.
    ("Write a novel", "en"),
    ("Write a novel.", "en"),
    ("Write an essay", "en"),
    ("Tell me a story", "en"),
    ("Python LangGraph tutorial", "en"),
    (
        "Write a 20,000-word science fiction novel about first contact with an alien civilization, "
        "told from the perspective of a linguist.",
        "en",
    ),
    (
        "Write a detailed 8000-word report on renewable energy adoption in 2023, with statistics, "
        "5 sections and 12 references.",
        "en",
    ),
    ("Write a comprehensive guide (approx. 6,500 words) to sourdough baking.", "en"),
    ("Compose a 1500 word speech for a graduation ceremony", "en"),
    ("Write 3000 words about Paris", "en"),
    ("Write a biography of Emmanuel Macron", "en"),
    ("Write a tourist guide to Rio de Janeiro and São Paulo", "en"),
    ("Write an essay about the Bundesliga and Borussia Dortmund", "en"),
    ("Write about la dolce vita", "en"),
    ("Summarize the plot of Don Quixote in 2000 words", "en"),
    ("Write an article about Japanese tea ceremony", "en"),
    ("Write an essay about why Spanish is easy to learn", "en"),
    ("Write a 3000-word essay on Russian literature of the 19th century", "en"),
    ("Write a comparison of Portuguese and Brazilian cuisine", "en"),
    ("Write a history of English literature", "en"),
    ("Write a 5000-word essay on the French Revolution", "en"),
    ("Write an article about Chinese cuisine", "en"),
    ("Write about the German economy after 1990", "en"),
    ("Write a review of English-language newspapers in Asia", "en"),
    ("Write an essay about the subjunctive in French", "en"),
    ("Write a guide on how to write in German", "en"),
    ("Write a story in Chinese style about a dragon", "en"),
    ("Discuss the influence of Arabic in Spanish", "en"),
    ("Do not write in French; write a 3000-word essay about Lyon.", "en"),
    ("Write an essay about 孔子 and his influence on East Asia", "en"),
    ("Visit https://example.com/docs/v2 and write 4,000 words about its API.", "en"),
    # English instructions asking for another language.
    ("Write a story in English about a dragon who learns French.", "en"),
    ("Write a French cookbook introduction, in English, 2000 words.", "en"),
    ("Write a novel in Dutch about Amsterdam canals", "nl"),
    ("Write an essay in Italian about Renaissance art", "it"),
    ("Please write a poem in Portuguese.", "pt"),
    ("Write it in Spanish: a guide to Madrid, 3000 words", "es"),
    ("Write a 4000-word report on climate change. Language: German", "de"),
    ("Write an Arabic-language essay on desert ecology", "ar"),
    (
        "Write a 2000-word guide, written entirely in Russian, about the Trans-Siberian railway",
        "ru",
    ),
    ("Write a letter to my grandmother in Korean", "ko"),
    ("Write a blog post in Mandarin about tea culture", "zh"),
    ("Write a cover letter en français", "fr"),
    ("Write a haiku sequence about autumn in Japanese.", "ja"),
    ("Write an essay about Cairo بالعربية", "ar"),
    ("Write a 3000-word essay about the Silk Road. 请用中文。", "zh"),
    ("Translate the following paragraph into Chinese: the weather is nice today.", "zh"),
    # Chinese.
    ("写一部小说", "zh"),
    ("写一篇一万字的科幻小说", "zh"),
    ("写一篇关于人工智能的5000字文章", "zh"),
    ("请写一篇3000字的文章，介绍Python和LangGraph的使用方法", "zh"),
    ("帮我写一份关于2024年中国新能源汽车市场的分析报告，不少于8000字，包含10个章节", "zh"),
    ("写一篇关于Machine Learning和Deep Learning的文章", "zh"),
    ("写一篇关于英文写作技巧的文章", "zh"),
    ("写一篇介绍日本文化的文章", "zh"),
    ("用中文写一篇关于巴黎的游记", "zh"),
    ("介绍一下Transformer模型", "zh"),
    ("写一篇文章，介绍如何用英语回答面试问题", "zh"),
    ("不要用英文，写一篇关于春节的散文", "zh"),
    ("写一篇关于法国大革命的文章，5000字", "zh"),
    # Chinese instructions asking for another language.
    ("请用英语写一篇关于长城的文章，3000字", "en"),
    ("以英文撰写一份关于人工智能伦理的报告", "en"),
    ("英文写一篇介绍上海的旅游指南", "en"),
    ("写一篇关于莎士比亚的英文论文，3000字", "en"),
    ("给我写一份2000字的英文演讲稿", "en"),
    ("把下面这段话翻译成英文：春眠不觉晓，处处闻啼鸟。", "en"),
    ("把这篇文章翻译成法语", "fr"),
    ("用日语写一篇关于樱花的短文", "ja"),
    ("请以韩语撰写一篇首尔旅游攻略", "ko"),
    ("用西班牙语写一封求职信", "es"),
    # French.
    ("Écris un roman", "fr"),
    ("Rédigez un article de 3000 mots sur l'histoire de Paris.", "fr"),
    ("Écrivez une nouvelle policière de 10 000 mots se déroulant à Marseille en 1920.", "fr"),
    ("Écris un essai sur la littérature anglaise", "fr"),
    ("Écris une lettre en anglais à mon professeur", "en"),
    ("Rédige un guide de voyage sur Tokyo, en japonais s'il te plaît", "ja"),
    # German.
    ("Schreibe einen Roman", "de"),
    (
        "Schreiben Sie einen ausführlichen Bericht (ca. 5000 Wörter) über die Energiewende in "
        "Deutschland.",
        "de",
    ),
    ("Schreibe einen Artikel über die chinesische Küche", "de"),
    ("Schreibe einen Aufsatz über London auf Englisch", "en"),
    ("Bitte übersetze den folgenden Text ins Englische", "en"),
    # Spanish.
    ("Escribe una novela", "es"),
    ("Escribe un ensayo de 4000 palabras sobre la historia de México.", "es"),
    ("Escribe un artículo sobre la cocina japonesa", "es"),
    ("Escribe un cuento corto en inglés sobre un perro", "en"),
    # Italian.
    ("Scrivi un romanzo", "it"),
    ("Scrivi un saggio di 3000 parole sulla storia di Roma antica.", "it"),
    ("Scrivi un saggio sulla storia della lingua inglese", "it"),
    ("Scrivi una lettera in francese al sindaco", "fr"),
    # Portuguese.
    ("Escreva um romance", "pt"),
    ("Escreva um artigo de 5000 palavras sobre a floresta amazônica e os povos indígenas.", "pt"),
    ("Escreva uma redação em inglês sobre o meio ambiente", "en"),
    # Dutch.
    ("Schrijf een roman", "nl"),
    ("Schrijf een uitgebreid artikel van 3000 woorden over de geschiedenis van Amsterdam.", "nl"),
    ("Schrijf een brief in het Engels aan mijn baas", "en"),
    # Japanese.
    ("小説を書いてください", "ja"),
    ("東京の歴史について5000字の記事を書いてください。", "ja"),
    ("人工知能についてのエッセイを書いて", "ja"),
    ("日本語の歴史について英語で書いてください", "en"),
    ("ChatGPTとLangGraphの使い方を説明する記事を3000字で書いて", "ja"),
    # Korean.
    ("소설을 써 주세요", "ko"),
    ("서울의 역사에 대해 5000단어 분량의 글을 써 주세요.", "ko"),
    ("영어 교육에 관한 에세이를 써 주세요", "ko"),
    ("인공지능에 대한 보고서를 영어로 작성해 주세요", "en"),
    ("Python과 LangGraph로 에이전트를 만드는 방법을 설명하는 글을 써줘", "ko"),
    # Russian.
    ("Напиши роман", "ru"),
    ("Напишите подробную статью объемом 5000 слов об истории Санкт-Петербурга.", "ru"),
    ("Напиши статью об английской литературе", "ru"),
    ("Напиши эссе о Москве на английском языке", "en"),
    ("Напиши рассказ по-французски", "fr"),
    # Arabic.
    ("اكتب رواية", "ar"),
    ("اكتب مقالا من 3000 كلمة عن تاريخ القاهرة", "ar"),
    ("اكتب مقالا عن تاريخ اللغة الإنجليزية", "ar"),
    ("اكتب مقالا عن الذكاء الاصطناعي باللغة الإنجليزية", "en"),
]


@pytest.mark.parametrize(("instruction", "expected"), DOCUMENTS)
def test_document_language(instruction: str, expected: str) -> None:
    assert document_language(instruction) == expected


def test_the_table_covers_every_named_language() -> None:
    assert {expected for _, expected in DOCUMENTS} == NAMED
    assert len(DOCUMENTS) >= 60


def test_detect_language_is_fast_enough_for_every_draft() -> None:
    draft = "Photosynthesis converts light energy into chemical energy in two stages. " * 140
    detect_language(draft)  # builds the detector
    started = time.perf_counter()
    for _ in range(10):
        detect_language(draft)
    assert (time.perf_counter() - started) / 10 < 0.5


# Arbitrary text, repeated up to a few hundred KB; realistic pieces make the detector work too.
_PIECES = st.sampled_from(
    [
        "Write a 10000-word novel in French. ",
        "请用英文写一篇文章。",
        "日本語で書いてください。",
        "https://example.com/x?y=1 ",
        "3,000 words ",
        "на русском языке ",
        "باللغة العربية ",
        "in ENGLİSH ",
    ]
)
_TEXTS = st.builds(
    lambda head, body, times: head + body * times,
    st.lists(_PIECES, max_size=4).map("".join),
    st.text(max_size=2000),
    st.integers(min_value=1, max_value=150),
)


@settings(
    deadline=3000, max_examples=40, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(_TEXTS)
def test_language_functions_are_total(text: str) -> None:
    assert detect_language(text) in CODES
    assert requested_language(text) in NAMED | {None}
    assert document_language(text) in CODES
