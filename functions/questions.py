"""The question bank: browse, read, and (admins) write; topics with their counts."""

from __future__ import annotations

from common.http import Call, endpoint
from common.questions import (
    create_question,
    delete_question,
    get_question,
    get_question_tests,
    list_questions,
    list_topics,
    set_question_tests,
    update_question,
)
from common.questions.models import (
    Question,
    QuestionCreate,
    QuestionPage,
    QuestionsQuery,
    QuestionTests,
    QuestionUpdate,
    TopicList,
)

__all__ = [
    "questions_create",
    "questions_delete",
    "questions_get",
    "questions_list",
    "questions_tests_get",
    "questions_tests_set",
    "questions_update",
    "topics_list",
]


@endpoint(method="GET", path="/questions", query=QuestionsQuery, response=QuestionPage)
def questions_list(call: Call, query: QuestionsQuery) -> QuestionPage:
    """One page of the questions that pass the filters."""
    return list_questions(query=query)


@endpoint(method="GET", path="/questions/{id}", response=Question, errors=(404,))
def questions_get(call: Call) -> Question:
    """One question."""
    return get_question(question_id=call.params["id"])


@endpoint(
    method="POST",
    path="/questions",
    access="admin",
    status=201,
    body=QuestionCreate,
    response=Question,
    errors=(409,),
)
def questions_create(call: Call, body: QuestionCreate) -> Question:
    """Add a question to the bank."""
    return create_question(data=body)


@endpoint(
    method="PATCH",
    path="/questions/{id}",
    access="admin",
    body=QuestionUpdate,
    response=Question,
    errors=(404, 409),
)
def questions_update(call: Call, body: QuestionUpdate) -> Question:
    """Change some fields of a question."""
    return update_question(question_id=call.params["id"], changes=body)


@endpoint(method="DELETE", path="/questions/{id}", access="admin", status=204, errors=(404,))
def questions_delete(call: Call) -> None:
    """Delete a question (sessions keep their snapshot of it)."""
    delete_question(question_id=call.params["id"])


@endpoint(
    method="GET",
    path="/questions/{id}/tests",
    access="admin",
    response=QuestionTests,
    errors=(404,),
)
def questions_tests_get(call: Call) -> QuestionTests:
    """A question's hidden tests."""
    return get_question_tests(question_id=call.params["id"])


@endpoint(
    method="PUT",
    path="/questions/{id}/tests",
    access="admin",
    body=QuestionTests,
    response=QuestionTests,
    errors=(404,),
)
def questions_tests_set(call: Call, body: QuestionTests) -> QuestionTests:
    """Replace a question's hidden tests; each must fit the question's signature."""
    return set_question_tests(question_id=call.params["id"], data=body)


@endpoint(method="GET", path="/topics", response=TopicList)
def topics_list(call: Call) -> TopicList:
    """Every topic with its question counts per difficulty."""
    return list_topics()
