"""Meta-talk removal, plan tidying and near-repeat removal: what small models leak into sections."""

from __future__ import annotations

import pytest

from longwriter.drafting.cleanup import clean_draft, drop_plan_lines, drop_repeats, sentence_keys
from longwriter.eval.reader import agreement, meta_pairs
from longwriter.planning.mend import tidy_plan
from longwriter.text.meta import is_meta
from tests.reader_data import assert_agrees, labelled_paragraphs

TOPIC = "Write a 1200-word history of the printing press and how it changed Europe."


@pytest.mark.parametrize(
    ("sentence", "meta"),
    [
        ("Here is the section written in English:", True),
        ("Sure! Here's the continuation of your text:", True),
        ("This is a 1200-word history of the printing press.", True),
        ("The previous attempt had these problems and was empty.", True),
        ("You will not repeat sentences already written.", True),
        ("In this essay I will explore how it changed Europe.", True),
        ("I am glad you found the document informative.", True),
        ("The first sentence is a historical fact.", True),
        ("Section 3 of the second part covers trade.", True),
        ("Gutenberg made it possible to print the written word on pages quickly.", False),
        ("You should keep your hive near water.", False),
        ("Printing spread to Venice, Paris and London by 1500.", False),
        ("We know that literacy rose sharply after 1500.", False),
        # chat talk of SmolLM2 on vLLM
        ("Today we're going to talk about the impact of the printing press.", True),
        ("We'll discuss the presses of Venice next.", True),
        ("Here is another piece on the impact of the printing press.", True),
        (
            "The text is divided into two paragraphs, one on the history of the printing press"
            " and one on its effect on Europe.",
            True,
        ),
        ("The essay consists of three parts.", True),
        ("This essay has just touched on a crucial point, the role of schools.", True),
        ("The essay ends with a conclusion that speaks to the ongoing debate.", True),
        ("This time around it's a story about how she helps her own daughter.", True),
        ('"It\'s a story about a fox," her grandmother said.', False),
        ("The war ends with a treaty signed at Utrecht.", False),
        ('What do you mean by "this" when referring to society?', True),
        ('"What do you mean?" she asked the clockmaker.', False),
        ("The essay will then continue with the next part.", True),
        ("This report is based on my latest book called 'Renewable Energy For Good'.", True),
        ("The report will also cover using drones for disaster relief.", True),
        ("The paper also discusses the role of renewable energy.", True),
        ("In addition to this statement, the text continues by explaining what caused it.", True),
        ("With that concluding phrase, the text concludes with a tribute to the press.", True),
        ("The conclusion reinforces the main idea of the essay.", True),
        ("This is a very important part of the report that we just finished.", True),
        ("As you read through this report, solar power can improve health care.", True),
        ("1. The story begins in a village surrounded by the mountains.", True),
        (
            "2. This is another story that will be shared as part of a girl who repairs clocks.",
            True,
        ),
        ("We should also mention this particular girl who helped us.", True),
        ("We mentioned the leak to the landlord twice.", False),
        ("The paper mills had large vertical rooms.", False),
        ("The report was based on a survey of 300 clinics by the ministry.", False),
        ("As you read the map, keep the river on your left.", False),
        ("The war begins in 1914 with the assassination in Sarajevo.", False),
        ("The trail has just touched on the river when it turns north.", False),
        ("The treaty was divided into three parts, one for each kingdom.", False),
        ("The press was broken into parts and shipped to Venice.", False),
        ('Question: What is the main difference between "A" and "B"?', True),
        ("When it comes to the printing press, you're right.", True),
        ("Yes, you're right, it changes how we see ourselves.", True),
        ('"You\'re right," said the printer, wiping the ink from his hands.', False),
        ("Here is the workshop where Gutenberg set his type.", False),
        # typographic apostrophes, and lead-ins to more of the answer (the 10,000-word run)
        ("Here’s the end of the text with details on how the press worked.", True),
        ("Here’s more on how the press worked, as well as tips for collectors.", True),
        ("Here’s my summary: printing made books cheap.", True),
        ("Here's more detail about future topics based on our previous discussions.", True),
        ("Here are more tips for keeping the type clean.", False),
        ("Here’s how the press spread: merchants carried it down the Rhine.", False),
        ("We went to talk about the press with the guild.", False),
    ],
)
def test_english_meta_sentences(sentence: str, meta: bool) -> None:
    assert is_meta(sentence, "en", TOPIC) is meta


def test_topic_words_are_not_held_against_the_text() -> None:
    sentence = "You should plan every paragraph of your essay before you write it."
    assert is_meta(sentence, "en", "Write a history of bees")
    assert not is_meta(sentence, "en", "Write a guide to essay writing: plan, paragraph, write")


def test_only_the_request_makes_a_document_noun_part_of_the_subject() -> None:
    """A model's plan point that mentions "a chapter" does not excuse "The next chapter is ..."."""
    plan = (
        "Introduction\nWhy solar microgrids matter, with a chapter dedicated to renewable energy."
    )
    white_paper = f"Write a white paper on solar microgrids for rural clinics.\n{plan}"
    assert is_meta("The next chapter is about the future of renewable energy.", "en", white_paper)
    assert is_meta(
        "In fact this essay takes place after a chapter on batteries.", "en", white_paper
    )
    novels = f"Write a history of the chapter book for children.\n{plan}"
    assert not is_meta("The next chapter is about the future of renewable energy.", "en", novels)


@pytest.mark.parametrize(
    ("sentence", "meta"),
    [
        ("以下是第二部分的内容：", True),
        ("这一部分约500字。", True),
        ("上一次的回答太短了。", True),
        ("我会在下一个段落里重复写作要点。", True),
        ("我们可以看到，印刷术改变了欧洲。", False),
        ("古登堡在美因茨发明了活字印刷机。", False),
    ],
)
def test_chinese_meta_sentences(sentence: str, meta: bool) -> None:
    assert is_meta(sentence, "zh", "写一篇关于印刷术历史的文章") is meta


COFFEE = "Write a 1500-word illustrated guide to the history of coffee, from its legends in Ethiopia to modern espresso culture."


@pytest.mark.parametrize(
    ("sentence", "meta"),
    [
        # The demo's third-person talk about the document.
        ("This guide is designed for a 4-sectioned document.", True),
        ("This chapter includes information about how coffee was made.", True),
        ("It goes into detail covering the different parts of the story.", True),
        ("This guide aims to provide readers with information about coffee.", True),
        ("This part added new facts.", True),
        ("In this section, we look at the coffeehouses of Cairo.", True),
        ("The following paragraphs describe how coffee reached Europe.", True),
        ("We will now discuss the Ottoman coffeehouses.", True),
        ("The chapter will explore how coffee reached Java.", True),
        ("The goal is to showcase how espresso machines work.", True),
        ("In this part of the guide, I will talk about roasting.", True),
        ("I'm sorry for the confusion in my previous posts.", True),
        ("Length: about 75 words.", True),
        # A narrator announcing what comes (held-out feature article, embedded model).
        ("I'll start telling you about the first coffee roasters.", True),
        ("Let me explain how the espresso machine came to Milan.", True),
        ("I told the roaster about the beans from Yemen.", False),
        ("You are going to discuss the topic of roasting in detail.", True),
        # Ordinary prose with the same words.
        ("The story of coffee begins in Ethiopia.", False),
        ("The guide led us up the ridge to the old plantation.", False),
        ("This part of the city was rebuilt after the fire of 1666.", False),
        ("Our guide showed us the roasting drums.", False),
        ("This section of the coffee belt has volcanic soil.", False),
        ("Coffee houses were called penny universities in London.", False),
    ],
)
def test_third_person_talk_about_the_document(sentence: str, meta: bool) -> None:
    assert is_meta(sentence, "en", COFFEE) is meta


@pytest.mark.parametrize(
    ("sentence", "meta"),
    [
        ("本文将介绍咖啡的历史。", True),
        ("本章主要讨论咖啡在欧洲的传播。", True),
        ("在这一部分中，我们回顾了咖啡的起源。", True),
        ("以下内容将介绍咖啡的传播。", True),
        ("接下来我们将讨论奥斯曼帝国的咖啡馆。", True),
        ("本文将从起源、传播和饮用方式几个方面展开论述。", True),
        ("希望本文能帮助读者了解咖啡。", True),
        ("以上就是本文的全部内容。", True),
        ("下面我来介绍一下咖啡的传播。", True),
        ("让我来给大家讲讲咖啡馆的故事。", True),
        ("我来自埃塞俄比亚的咖啡产区。", False),
        ("本节车厢已经满员。", False),
        ("这部分资金主要用于修路。", False),
        ("气温降到零度以下，说明冬天来了。", False),
        ("这一段时间咖啡价格上涨。", False),
        ("咖啡在十五世纪传入也门。", False),
    ],
)
def test_chinese_self_reference(sentence: str, meta: bool) -> None:
    assert is_meta(sentence, "zh", "写一篇关于咖啡历史的文章") is meta


def test_a_subject_about_writing_keeps_its_vocabulary() -> None:
    essay = "Write a 3000-word guide to writing a persuasive essay."
    for sentence in [
        "The first sentence of each body paragraph is its topic sentence.",
        "Transition words guide the reader through your argument.",
        "Your thesis belongs at the end of the first paragraph.",
        "Cut filler: a 500-word essay has no room for it.",
    ]:
        assert not is_meta(sentence, "en", essay), sentence
        assert is_meta(sentence, "en", COFFEE), sentence
    assert is_meta("This guide will now discuss how to conclude your essay.", "en", essay)


def test_a_document_noun_of_the_subject_is_not_self_reference() -> None:
    review = "Write an essay on the novel Moby-Dick."
    assert not is_meta("This novel explores obsession and revenge.", "en", review)
    assert not is_meta(
        "The book explores obsession and revenge.", "en", "Write a review of the book Moby-Dick."
    )
    assert is_meta("The book explores obsession and revenge.", "en", COFFEE)


# Measured with benchmarks/calibrate_reader.py on the labelled set (see longwriter/text/meta.py);
# the test allows 0.03 below each figure.
META_AGREEMENT = {"en": (0.985, 0.81), "zh": (0.971, 1.0)}


@pytest.mark.parametrize("language", sorted(META_AGREEMENT))
def test_meta_agrees_with_the_labelled_set(language: str) -> None:
    got = agreement(p for r in labelled_paragraphs(language) for p in meta_pairs(r))
    assert_agrees(got, META_AGREEMENT[language], margin=0.03, positives=30)


def test_languages_without_a_vocabulary_keep_everything() -> None:
    assert not is_meta("Voici la section demandée, 500 words :", "fr")


def test_clean_draft_drops_meta_but_keeps_the_prose() -> None:
    raw = (
        "Here is the section you asked for:\n"
        "Gutenberg built his press in Mainz around 1440. It used movable metal type.\n\n"
        "You will not repeat sentences already written. Printing spread quickly."
    )
    out = clean_draft(raw, "The Invention", False, language="en", topic=TOPIC)
    assert out == (
        "Gutenberg built his press in Mainz around 1440. It used movable metal type.\n\n"
        "Printing spread quickly."
    )


def test_lines_echoing_the_request_are_dropped() -> None:
    from longwriter.prompts import render

    task = render(
        "writer_task",
        "en",
        instruction=TOPIC,
        title="The Press",
        language_name="English",
        target_words=1200,
        plan="1. Mainz: the first press (300 words)",
    )
    raw = (
        "Title: The Press\nLanguage: English\nGutenberg printed a Bible.\nLength: 30 cm and heavy."
    )
    out = clean_draft(raw, "Mainz", False, topic=TOPIC, prompt=task)
    assert out == "Gutenberg printed a Bible.\nLength: 30 cm and heavy."  # only exact echoes go


def test_plan_lines_echoed_into_a_section_are_dropped() -> None:
    text = (
        "1. The Invention: how Gutenberg built the press\n"
        "(2/3)\n"
        "The Invention of printing changed everything.\n"
        "Legacy: a word many use."
    )
    assert drop_plan_lines(text, ["The Invention", "Spread"]) == (
        "The Invention of printing changed everything.\nLegacy: a word many use."
    )


def test_near_repeats_of_earlier_sentences_are_dropped() -> None:
    earlier = sentence_keys(
        "The printing press brought many benefits to society including education and trade."
    )
    text = (
        "The printing press brought many benefits to society including literacy and trade. "
        "Venice became a centre of book printing by 1500."
    )
    assert drop_repeats(text, set(), 1.0, earlier) == (
        "Venice became a centre of book printing by 1500."
    )


def test_sentences_with_a_few_shared_phrases_are_kept() -> None:
    earlier = sentence_keys("The invention of the printing press changed how Europe read books.")
    text = "After the invention of the printing press, paper mills multiplied across France."
    assert drop_repeats(text, set(), 1.0, earlier) == text


def test_tidy_plan_removes_copied_lengths_and_numbering() -> None:
    title, sections = tidy_plan(
        "A 1200-word History of the Printing Press",
        [
            {
                "title": "Section 1: The Historical Context",
                "main_point": "Before 1440",
                "words": 300,
            },
            {"title": "第二部分：影响", "main_point": "写一篇5000字的文章", "words": 300},
            {"title": "Legacy", "main_point": "Section 230 of the act", "words": 300},
            {"title": "The Science of Vaccines'}, {", "main_point": "How [it] works", "words": 9},
        ],
    )
    assert title == "History of the Printing Press"
    assert [s["title"] for s in sections] == [
        "The Historical Context",
        "影响",
        "Legacy",
        "The Science of Vaccines",
    ]
    assert [s["main_point"] for s in sections] == [
        "Before 1440",
        "写一篇的文章",
        "Section 230 of the act",
        "How [it] works",
    ]


def test_later_parts_of_a_split_section_ask_for_new_aspects() -> None:
    from longwriter.drafting.layout import step_message

    plan = [
        {
            "title": "Spread",
            "main_point": "Print shops spread",
            "words": 300,
            "part": 1,
            "parts": 2,
        },
        {
            "title": "Spread",
            "main_point": "Print shops spread",
            "words": 300,
            "part": 2,
            "parts": 2,
        },
        {"title": "Legacy", "main_point": "What remained", "words": 300},
    ]
    state = {"language": "en", "sections_plan": plan}
    first = step_message(state, 0, 300)  # type: ignore[arg-type]
    second = step_message(state, 1, 300)  # type: ignore[arg-type]
    assert "part 2 of 2" in second and "earlier parts did not" in second
    assert "(2/2)" not in second and "Spread" in second
    assert "part 1" not in first and "earlier parts" not in first


def test_only_the_request_makes_writing_the_subject() -> None:
    """A plan line about sentences (model debris) must not switch the writer's-talk rule off."""
    topic = (
        "Write a 6,000-word feature on the history and science of glassmaking.\nKey ideas\n"
        "How every short sentence of the glassblower's log was kept."
    )
    assert is_meta("I love how this relates back to the sentences I wrote before.", "en", topic)
