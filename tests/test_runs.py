"""Running a session's code in the sandboxed runner: results both partners see, limits, refusals."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from devstack import LocalStack
from devstack.stack import free_port
from tests.support import (
    Api,
    AuthEmulator,
    EditorClient,
    EmulatorUser,
    FirestoreRest,
    assert_error,
    make_session,
    matched_pair,
)


def _run(api: Api, user: EmulatorUser, session_id: str, stdin: str = "") -> Any:
    return api.post(f"/sessions/{session_id}/run", json={"stdin": stdin}, user=user)


def test_a_run_answers_its_output_and_both_partners_see_it(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    one, two, outsider = auth.sign_up(), auth.sign_up(), auth.sign_up()
    code = "import sys\nname = sys.stdin.read().strip()\nprint(f'hello {name}')\n"
    session_id = make_session([one, two], starter=code)
    response = _run(api, one, session_id, stdin="pair\n")
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["status"] == "done" and run["verdict"] == "accepted"
    assert run["stdout"] == "hello pair\n" and run["author"] == one.uid
    assert run["language"] == "python" and run["timeMs"] is not None
    # The partner's listener sees the same document; an outsider does not; nobody writes it.
    seen = FirestoreRest(stack, two.token).list_documents(f"sessions/{session_id}/runs")
    assert [(doc["id"], doc["verdict"], doc["stdout"]) for doc in seen] == [
        (run["id"], "accepted", "hello pair\n")
    ]
    refused = FirestoreRest(stack, outsider.token).get(f"sessions/{session_id}/runs")
    assert refused.status_code == 403
    forged = FirestoreRest(stack, two.token).patch(
        f"sessions/{session_id}/runs/{run['id']}", {"verdict": "accepted", "stdout": "fake"}
    )
    assert forged.status_code == 403


def test_verdicts_of_failing_programs(api: Api, auth: AuthEmulator) -> None:
    one, two = auth.sign_up(), auth.sign_up()
    crash = make_session([one, two], starter="raise SystemExit(3)\n")
    body = _run(api, one, crash).json()
    assert body["verdict"] == "runtime_error" and body["exitCode"] == 3
    broken = make_session([one, two], starter="int main( { return 0; }\n", language="cpp")
    body = _run(api, two, broken).json()
    assert body["verdict"] == "compile_error" and "error" in body["compileOutput"]


def test_only_participants_still_in_the_session_may_run(api: Api, auth: AuthEmulator) -> None:
    one, two, outsider = auth.sign_up(), auth.sign_up(), auth.sign_up()
    session_id = make_session([one, two], starter="print(1)\n")
    assert_error(_run(api, outsider, session_id), 403, "permission_denied")
    assert_error(_run(api, one, "no-such-session"), 404, "not_found")
    assert api.post(f"/sessions/{session_id}/leave", user=one).status_code == 200
    assert_error(_run(api, one, session_id), 403, "permission_denied")
    assert _run(api, two, session_id).status_code == 200
    too_long = {"stdin": "x" * 16_001}
    response = api.post(f"/sessions/{session_id}/run", json=too_long, user=two)
    assert_error(response, 422, "validation_error")


def test_one_run_at_a_time_per_session(api: Api, auth: AuthEmulator) -> None:
    one, two = auth.sign_up(), auth.sign_up()
    session_id = make_session([one, two], starter="import time\ntime.sleep(1.5)\nprint('done')\n")
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(_run, api, one, session_id)
        time.sleep(0.6)
        second = _run(api, two, session_id)
        assert first.result(timeout=60).json()["stdout"] == "done\n"
    body = assert_error(second, 409, "run_in_progress")
    assert "progress" in body["error"]["message"]
    assert second.headers["Retry-After"] == "2"
    assert _run(api, two, session_id).status_code == 200  # free again once it is over


def test_a_run_refused_while_another_is_in_progress_is_not_counted(
    api: Api, auth: AuthEmulator
) -> None:
    import datetime as dt

    from common.clients import firestore_client
    from common.config import get_settings

    one, two = auth.sign_up(), auth.sign_up()
    session_id = make_session([one, two], starter="print('ok')\n")
    lock = firestore_client().collection("runLocks").document(session_id)
    lock.set({"runId": "another", "uid": two.uid, "at": dt.datetime.now(dt.UTC)})
    for _ in range(get_settings().runs_per_minute + 1):
        assert_error(_run(api, one, session_id), 409, "run_in_progress")
    lock.delete()
    assert _run(api, one, session_id).status_code == 200


def test_runs_per_minute_are_limited_with_retry_after(api: Api, auth: AuthEmulator) -> None:
    one, two = auth.sign_up(), auth.sign_up()
    session_id = make_session([one, two], starter="print(1)\n")
    statuses = [_run(api, one, session_id).status_code for _ in range(RUNS_PER_MINUTE + 1)]
    if statuses[-1] == 200:
        # The minute turned during the loop, and the new one already holds some of these runs:
        # again with a user who has run nothing yet (a second turn is a minute away).
        one = auth.sign_up()
        session_id = make_session([one, two], starter="print(1)\n")
        statuses = [_run(api, one, session_id).status_code for _ in range(RUNS_PER_MINUTE + 1)]
    assert statuses == [200] * RUNS_PER_MINUTE + [429]
    limited = _run(api, one, session_id)
    assert_error(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert _run(api, two, session_id).status_code == 200  # per user


def test_an_unreachable_runner_is_503_and_the_run_says_so(
    stack: LocalStack, auth: AuthEmulator
) -> None:
    name = "api-no-runner"
    stack.start_gateway(name=name, env={"RUNNER_URL": f"http://127.0.0.1:{free_port()}"})
    try:
        api = Api(f"http://{stack.host(name)}/api")
        one, two = auth.sign_up(), auth.sign_up()
        session_id = make_session([one, two], starter="print(1)\n")
        response = _run(api, one, session_id)
        assert_error(response, 503, "unavailable")
        assert response.headers["Retry-After"] == "5"
        (run,) = FirestoreRest(stack, two.token).list_documents(f"sessions/{session_id}/runs")
        assert run["status"] == "done" and run["verdict"] == "runner_error"
        # The lock is released: the next run is not refused as in progress.
        assert_error(_run(api, one, session_id), 503, "unavailable")
    finally:
        stack.stop_service(name)


RUNS_PER_MINUTE = 10


# ---- the session's language -------------------------------------------------------------------


def test_switching_language_brings_the_new_starter_code_when_untouched(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    one, two, session_id = matched_pair(
        api, auth, difficulty="easy", topics=["strings"], language="python"
    )
    before = api.get(f"/sessions/{session_id}", user=one).json()
    question = api.get(f"/questions/{before['question']['id']}", user=one).json()
    assert before["code"] == question["starterCode"]["python"]
    response = api.patch(f"/sessions/{session_id}/language", json={"language": "java"}, user=two)
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["language"] == "java" and after["code"] == question["starterCode"]["java"]
    assert after["question"]["starterCode"] == question["starterCode"]["java"]
    # Editors following the log (the partner's) converge on it too.
    editor = EditorClient(stack, one, session_id)
    editor.join()
    assert editor.text == question["starterCode"]["java"]
    # Once edited, switching again keeps the code.
    editor.edit(index=0, insert="// ours\n")
    editor.flush()
    again = api.patch(f"/sessions/{session_id}/language", json={"language": "cpp"}, user=one)
    assert again.json()["language"] == "cpp"
    assert again.json()["code"] == "// ours\n" + question["starterCode"]["java"]


def test_switching_language_is_for_participants_still_in_it(api: Api, auth: AuthEmulator) -> None:
    one, two, session_id = matched_pair(
        api, auth, difficulty="easy", topics=["strings"], language="python"
    )
    outsider = auth.sign_up()
    path = f"/sessions/{session_id}/language"
    assert_error(
        api.patch(path, json={"language": "java"}, user=outsider), 403, "permission_denied"
    )
    assert_error(api.patch(path, json={"language": "cobol"}, user=one), 422, "validation_error")
    assert api.post(f"/sessions/{session_id}/leave", user=one).status_code == 200
    assert_error(api.patch(path, json={"language": "java"}, user=one), 403, "permission_denied")
    assert api.patch(path, json={"language": "java"}, user=two).json()["language"] == "java"
