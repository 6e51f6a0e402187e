"""The question bank: browse, read, and (admins) write; topics with their counts."""

from __future__ import annotations

import functions_framework

from common.http import Call, http_endpoint
from common.models import (
    Question,
    QuestionCreate,
    QuestionPage,
    QuestionsQuery,
    QuestionUpdate,
    TopicsOut,
)
from common.questions import (
    create_question,
    delete_question,
    get_question,
    list_questions,
    list_topics,
    update_question,
)

__all__ = [
    "questions_create",
    "questions_delete",
    "questions_get",
    "questions_list",
    "questions_update",
    "topics_list",
]


@functions_framework.http
@http_endpoint("questions_list")
def questions_list(call: Call) -> QuestionPage:
    """Return one page of the questions that pass the filters."""
    return list_questions(query=call.query(QuestionsQuery))


@functions_framework.http
@http_endpoint("questions_get")
def questions_get(call: Call) -> Question:
    """Return one question."""
    return get_question(question_id=call.params["id"])


@functions_framework.http
@http_endpoint("questions_create")
def questions_create(call: Call) -> Question:
    """Add a question to the bank."""
    return create_question(data=call.body(QuestionCreate))


@functions_framework.http
@http_endpoint("questions_update")
def questions_update(call: Call) -> Question:
    """Change some fields of a question."""
    return update_question(question_id=call.params["id"], changes=call.body(QuestionUpdate))


@functions_framework.http
@http_endpoint("questions_delete")
def questions_delete(call: Call) -> None:
    """Delete a question."""
    delete_question(question_id=call.params["id"])


@functions_framework.http
@http_endpoint("topics_list")
def topics_list(call: Call) -> TopicsOut:
    """Return every topic with its question counts per difficulty."""
    return list_topics()
