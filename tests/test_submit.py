"""Submitting a session's code: judged on the question's visible and hidden tests in the runner,
seen by both partners, kept on both attempts; admins manage the hidden tests, nobody reads them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from devstack import LocalStack
from tests.support import (
    Api,
    AuthEmulator,
    EditorClient,
    EmulatorUser,
    FirestoreRest,
    assert_error,
    make_session,
    unique,
    with_profiles,
)

ROOT = Path(__file__).resolve().parent.parent
SLUG = "pair-with-target-sum"
RIGHT = (ROOT / "data" / "solutions" / f"{SLUG}.py").read_text()
# Right on the examples only: what a solution fitted to the visible tests looks like.
FITTED = """from typing import List


class Solution:
    def pair_with_target_sum(self, nums: List[int], target: int) -> List[int]:
        print("trying", nums)
        return {(4, 10): [0, 3], (-3, 5): [0, 2], (5, 10): [0, 1]}.get((nums[0], target), [])
"""


def _bank_question() -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The bank's pair-with-target-sum with a new title, as the API takes it, and hidden tests."""
    entry = next(
        q
        for q in json.loads((ROOT / "data/questions.json").read_text())
        if q["title"] == "Pair With Target Sum"
    )
    judging = json.loads((ROOT / "data" / "judging" / f"{SLUG}.json").read_text())

    def text(test: dict[str, Any]) -> dict[str, str]:
        return {"args": json.dumps(test["args"]), "expected": json.dumps(test["expected"])}

    examples = [
        {**example, "test": text(test)}
        for example, test in zip(entry["examples"], judging["examples"], strict=True)
    ]
    question = {
        **entry,
        "title": f"Pair Sum {unique('t')}",
        "examples": examples,
        "signature": judging["signature"],
    }
    return question, [text(test) for test in judging["hidden"]]


def _judged_question(api: Api, admin: EmulatorUser) -> tuple[str, int]:
    question, hidden = _bank_question()
    created = api.post("/questions", json=question, user=admin)
    assert created.status_code == 201, created.text
    question_id = created.json()["id"]
    put = api.put(f"/questions/{question_id}/tests", json={"tests": hidden}, user=admin)
    assert put.status_code == 200, put.text
    return question_id, len(question["examples"]) + len(hidden)


def _submit(api: Api, user: EmulatorUser, session_id: str) -> Any:
    return api.post(f"/sessions/{session_id}/submit", user=user)


def test_a_right_solution_is_accepted_seen_by_both_and_kept_on_both_attempts(
    api: Api, auth: AuthEmulator, admin: EmulatorUser, stack: LocalStack
) -> None:
    question_id, total = _judged_question(api, admin)
    one, two = auth.sign_up(), auth.sign_up()
    with_profiles(api, one, two)
    session_id = make_session([one, two], starter=RIGHT, question_id=question_id)
    response = _submit(api, one, session_id)
    assert response.status_code == 200, response.text
    run = response.json()
    assert (run["kind"], run["status"], run["verdict"]) == ("submit", "done", "accepted")
    assert run["passed"] == run["total"] == total
    visible = [test for test in run["tests"] if not test["hidden"]]
    hidden = [test for test in run["tests"] if test["hidden"]]
    assert len(visible) == 3 and visible[0]["args"] == "[[4, 9, 2, 6], 10]"
    assert visible[0]["expected"] == visible[0]["actual"] == "[0, 3]"
    shown = ("args", "expected", "actual", "stdout", "stderr")
    assert hidden and all(test.get(key) is None for test in hidden for key in shown)
    # The partner's listener sees the run and the session's verdict.
    rest = FirestoreRest(stack, two.token)
    seen = rest.list_documents(f"sessions/{session_id}/runs")
    assert [(doc["id"], doc["kind"], doc["verdict"]) for doc in seen] == [
        (run["id"], "submit", "accepted")
    ]
    session = api.get(f"/sessions/{session_id}", user=two).json()
    assert session["submission"]["verdict"] == "accepted"
    assert session["submission"]["passed"] == total and session["submission"]["runId"] == run["id"]
    for user in (one, two):
        assert api.post(f"/sessions/{session_id}/leave", user=user).status_code == 200
    for user in (one, two):
        attempts = api.get("/users/me/attempts", user=user).json()["items"]
        (attempt,) = [a for a in attempts if a["sessionId"] == session_id]
        assert attempt["submission"]["verdict"] == "accepted"
        assert attempt["submission"]["submittedBy"] == one.uid


def test_a_solution_fitted_to_the_examples_fails_on_a_hidden_test_without_revealing_it(
    api: Api, auth: AuthEmulator, admin: EmulatorUser
) -> None:
    question_id, _ = _judged_question(api, admin)
    one, two = auth.sign_up(), auth.sign_up()
    session_id = make_session([one, two], starter=FITTED, question_id=question_id)
    run = _submit(api, two, session_id).json()
    assert run["verdict"] == "wrong_answer" and run["passed"] == 3
    failed = next(test for test in run["tests"] if test["verdict"] == "wrong_answer")
    assert failed["hidden"] and failed["message"] == "Wrong answer on a hidden test"
    assert failed["args"] is None and failed["actual"] is None and failed["stdout"] is None
    assert run["stdout"] == "" and run["stderr"] == ""
    # What the code printed on a visible test is its own output, apart from the answer.
    assert run["tests"][0]["stdout"] == "trying [4, 9, 2, 6]\n"


def test_a_later_submission_reaches_the_attempt_of_a_partner_who_left(
    api: Api, auth: AuthEmulator, admin: EmulatorUser, stack: LocalStack
) -> None:
    question_id, _ = _judged_question(api, admin)
    one, two = auth.sign_up(), auth.sign_up()
    session_id = make_session([one, two], starter=FITTED, question_id=question_id)
    with_profiles(api, one, two)
    assert _submit(api, one, session_id).json()["verdict"] == "wrong_answer"
    assert api.post(f"/sessions/{session_id}/leave", user=one).status_code == 200
    # The one still in the session fixes the code through the shared editor, then submits.
    editor = EditorClient(stack, two, session_id)
    editor.join()
    editor.edit(index=0, delete=len(editor.text), insert=RIGHT)
    editor.flush()
    assert _submit(api, two, session_id).json()["verdict"] == "accepted"
    assert api.post(f"/sessions/{session_id}/leave", user=two).status_code == 200
    for user in (one, two):
        (attempt,) = [
            a
            for a in api.get("/users/me/attempts", user=user).json()["items"]
            if a["sessionId"] == session_id
        ]
        assert attempt["submission"]["verdict"] == "accepted", user


def test_failures_in_visible_tests_show_what_went_wrong(
    api: Api, auth: AuthEmulator, admin: EmulatorUser
) -> None:
    question_id, _ = _judged_question(api, admin)
    one, two = auth.sign_up(), auth.sign_up()
    crashing = RIGHT.replace(
        "seen: dict[int, int] = {}", "seen: dict[int, int] = {}\n        nums[99]"
    )
    session_id = make_session([one, two], starter=crashing, question_id=question_id)
    run = _submit(api, one, session_id).json()
    assert run["verdict"] == "runtime_error" and run["passed"] == 0
    assert "IndexError" in run["stderr"] and "IndexError" in run["tests"][0]["stderr"]
    assert {test["verdict"] for test in run["tests"][1:]} == {"skipped"}
    silent = make_session([one, two], starter="print('hello')\n", question_id=question_id)
    run = _submit(api, one, silent).json()
    assert run["verdict"] == "runtime_error", run  # no Solution: the driver fails
    empty = make_session(
        [one, two], starter=RIGHT.replace("return []", "return None"), question_id=question_id
    )
    assert _submit(api, one, empty).json()["verdict"] == "accepted"


def test_submit_needs_a_question_with_tests_and_a_participant_still_in_it(
    api: Api, auth: AuthEmulator, admin: EmulatorUser
) -> None:
    one, two, outsider = auth.sign_up(), auth.sign_up(), auth.sign_up()
    untested = make_session([one, two], starter=RIGHT)
    assert_error(_submit(api, one, untested), 409, "conflict")
    question_id, _ = _judged_question(api, admin)
    session_id = make_session([one, two], starter=RIGHT, question_id=question_id)
    assert_error(_submit(api, outsider, session_id), 403, "permission_denied")
    assert api.post(f"/sessions/{session_id}/leave", user=one).status_code == 200
    assert_error(_submit(api, one, session_id), 403, "permission_denied")


def test_admins_manage_hidden_tests_that_fit_the_signature_and_nobody_reads_them(
    api: Api, auth: AuthEmulator, admin: EmulatorUser, stack: LocalStack
) -> None:
    question_id, _ = _judged_question(api, admin)
    user = auth.sign_up()
    path = f"/questions/{question_id}/tests"
    assert_error(api.get(path, user=user), 403, "permission_denied")
    tests = {"tests": [{"args": "[[1,2],3]", "expected": "[0,1]"}]}
    assert_error(api.put(path, json=tests, user=user), 403, "permission_denied")
    misfit = {"tests": [{"args": "[[1,2]]", "expected": "[0,1]"}]}
    assert_error(api.put(path, json=misfit, user=admin), 422, "validation_error")
    wrong_type = {"tests": [{"args": '[[1,2],"3"]', "expected": "[0,1]"}]}
    assert_error(api.put(path, json=wrong_type, user=admin), 422, "validation_error")
    assert api.put(path, json=tests, user=admin).status_code == 200
    assert api.get(path, user=admin).json() == tests
    assert_error(api.get(f"/questions/{unique('none')}/tests", user=admin), 404, "not_found")
    # The rules refuse every client, admins included: only the API reads them.
    for reader in (user, admin):
        refused = FirestoreRest(stack, reader.token).get(f"questionTests/{question_id}")
        assert refused.status_code == 403
    # A changed signature must still fit the hidden tests.
    retyped = {"signature": {**_bank_question()[0]["signature"], "returns": "int"}}
    assert_error(
        api.patch(f"/questions/{question_id}", json=retyped, user=admin), 422, "validation_error"
    )
    # Deleting the question deletes its tests.
    assert api.delete(f"/questions/{question_id}", user=admin).status_code == 204
    from common.clients import firestore_client

    assert not firestore_client().collection("questionTests").document(question_id).get().exists
