"""Follow-up or new topic, decided per turn (issue 20): only a follow-up carries earlier turns."""

from __future__ import annotations

import pytest

from sisterqa.app.query import refers_back
from sisterqa.app.question import analyse


@pytest.mark.parametrize("question", [
    "When was it signed?", "Who eventually helped them out?", "How long does that document remain valid?",
    "And why did the teachers themselves object?", "What about Magelang?", "Why?",
    "Program itu berada di bawah kementerian apa?", "Ke dinas mana dia dipindahkan, dan kapan?",
    "Kapan ditandatangani?", "How much of the national R&D investment goes there?",
])
def test_questions_that_lean_on_an_earlier_turn(question):
    assert refers_back(analyse(question), ())[0]


@pytest.mark.parametrize("question", [
    "What evidence shows that Semarang failed to follow up the MoU?",
    "Are there any obstacles in the Bandung and Seoul cooperation?",
    "What are the main obstacles to sister city cooperation in Indonesian cities?",
])
def test_questions_that_stand_alone(question):
    assert not refers_back(analyse(question), ("semarang",))[0]


def test_weak_pronouns_do_not_count_when_the_question_names_its_own_subject():
    q = analyse("Why did South Tangerang choose Daejeon as its sister city?")
    assert not refers_back(q, ("south", "tangerang", "daejeon"), own_subject=True)[0]
    assert refers_back(analyse("Why did they choose it?"), ())[0]


def test_a_new_topic_is_searched_alone_and_a_follow_up_with_its_turn(engine):
    first = "How do the Bandung–Seoul and Magelang–Tula smart city partnerships differ?"
    a = engine.answer("Why did the cooperation between Semarang and Jung-Gu stall?", [first])
    assert a.followup is False and a.retrieval_query == a.question
    assert a.to_json(engine.snapshot)["followup"] is False
    b = engine.answer("When was it signed?", ["Who signed the friendship MoU between South Tangerang and Daejeon?"])
    assert b.followup is True and "South Tangerang" in b.retrieval_query
    assert "2016" in b.text  # the MoU of the earlier turn, signed on 21 September 2016
    c = engine.answer("Why did the cooperation between Semarang and Jung-Gu stall?")
    assert c.followup is False
    assert [x.quote for x in a.citations] == [x.quote for x in c.citations]  # as if asked alone
