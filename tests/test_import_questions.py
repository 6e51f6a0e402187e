"""The import job, run as Cloud Run runs it: idempotent upserts by slug, dry runs, refusals."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from common.catalogue import DIFFICULTIES, LANGUAGES
from common.clients import firestore_client
from common.questions import slugify
from common.questions.models import QuestionCreate
from devstack.stack import ROOT
from tests.support import Api, EmulatorUser, run_job, unique

Json = dict[str, Any]

pytestmark = pytest.mark.usefixtures("stack")


@dataclass
class ImportRun:
    """What one run of the job did: its exit code and the JSON lines it logged."""

    returncode: int
    events: list[Json]
    stderr: str

    def event(self, name: str) -> Json:
        [found] = [event for event in self.events if event.get("event") == name]
        return found

    def summary(self) -> dict[str, int]:
        found = self.event("import_summary")
        return {
            key: found[key]
            for key in ("questionsCreated", "questionsUpdated", "questionsUnchanged")
        }


def run_import(path: Path, *args: str) -> ImportRun:
    result = run_job("import_questions", "--file", str(path), *args)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    # Every stdout line is one Cloud Logging JSON object.
    events = [json.loads(line) for line in lines]
    assert all(isinstance(event, dict) and "severity" in event for event in events), lines
    return ImportRun(result.returncode, events, result.stderr)


def entry(title: str, **overrides: Any) -> Json:
    body: Json = {
        "title": title,
        "description": f"Reverse the words of `{title}`.",
        "difficulty": "easy",
        "topics": ["strings", "two-pointers"],
        "examples": [
            {"input": 's = "a b"', "output": '"b a"'},
            {"input": 's = "x"', "output": '"x"', "explanation": "One word stays."},
        ],
        "constraints": ["1 <= s.length <= 10^4"],
        "starterCode": {
            "python": "def reverse_words(s):\n    pass\n",
            "javascript": "function reverseWords(s) {\n}\n",
            "java": "class Solution {\n    String reverseWords(String s) { return s; }\n}\n",
            "cpp": "std::string reverseWords(std::string s) { return s; }\n",
        },
    }
    body.update(overrides)
    return body


def write(path: Path, entries: list[Json]) -> Path:
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def listed(api: Api, user: EmulatorUser, token: str) -> dict[str, Json]:
    """The questions whose title holds ``token``, by slug, read in full."""
    response = api.get("/questions", params={"text": token, "limit": 50}, user=user)
    assert response.status_code == 200, response.text
    return {
        item["slug"]: api.get(f"/questions/{item['id']}", user=user).json()
        for item in response.json()["items"]
    }


def topic_counts(api: Api, user: EmulatorUser) -> dict[str, dict[str, int]]:
    return {item["slug"]: item["counts"] for item in api.get("/topics", user=user).json()["items"]}


def question_count() -> int:
    return sum(1 for _ in firestore_client().collection("questions").select([]).stream())


def test_import_creates_then_is_idempotent_then_updates_what_changed(
    api: Api, user: EmulatorUser, tmp_path: Path
) -> None:
    token = unique("imp")
    titles = [f"Import {token} Alpha", f"Import {token} Beta", f"Import {token} Gamma"]
    entries = [entry(title) for title in titles]
    source = write(tmp_path / "bank.json", entries)
    counts_before = topic_counts(api, user)

    first = run_import(source)
    created = listed(api, user, token)
    counts_after = topic_counts(api, user)

    assert first.returncode == 0, first.stderr[-600:]
    assert first.summary() == {
        "questionsCreated": 3,
        "questionsUpdated": 0,
        "questionsUnchanged": 0,
    }
    assert first.event("import_summary")["dryRun"] is False
    assert set(created) == {slugify(title) for title in titles}
    for item in entries:
        question = created[slugify(item["title"])]
        expected = QuestionCreate.model_validate(item).model_dump(mode="json", by_alias=True)
        assert {key: question[key] for key in expected} == expected
    for topic in ("strings", "two-pointers"):
        assert counts_after[topic]["easy"] == counts_before[topic]["easy"] + 3

    second = run_import(source)
    unchanged = listed(api, user, token)

    assert second.returncode == 0, second.stderr[-600:]
    assert second.summary() == {
        "questionsCreated": 0,
        "questionsUpdated": 0,
        "questionsUnchanged": 3,
    }
    assert unchanged == created  # same ids, same updatedAt: nothing was rewritten
    assert topic_counts(api, user) == counts_after

    entries[1]["description"] = "A description changed after the first import."
    entries[2]["difficulty"] = "hard"
    third = run_import(write(source, entries))
    updated = listed(api, user, token)

    assert third.returncode == 0, third.stderr[-600:]
    assert third.summary() == {
        "questionsCreated": 0,
        "questionsUpdated": 2,
        "questionsUnchanged": 1,
    }
    assert {slug: question["id"] for slug, question in updated.items()} == {
        slug: question["id"] for slug, question in created.items()
    }
    beta, gamma = updated[slugify(titles[1])], updated[slugify(titles[2])]
    assert beta["description"] == "A description changed after the first import."
    assert beta["createdAt"] == created[slugify(titles[1])]["createdAt"]
    assert dt.datetime.fromisoformat(beta["updatedAt"]) > dt.datetime.fromisoformat(
        created[slugify(titles[1])]["updatedAt"]
    )
    assert gamma["difficulty"] == "hard"
    assert updated[slugify(titles[0])] == created[slugify(titles[0])]
    counts_final = topic_counts(api, user)
    for topic in ("strings", "two-pointers"):
        assert counts_final[topic]["easy"] == counts_before[topic]["easy"] + 2
        assert counts_final[topic]["hard"] == counts_before[topic]["hard"] + 1


def test_import_in_small_batches_matches_by_slug_not_by_exact_title(
    api: Api, user: EmulatorUser, tmp_path: Path
) -> None:
    token = unique("slug")
    source = write(
        tmp_path / "bank.json", [entry(f"Batch {token} {word}") for word in ("One", "Two", "Three")]
    )
    first = run_import(source, "--batch-size", "2")
    before = listed(api, user, token)

    retitled = [entry(f"batch {token.upper()} {word}!") for word in ("ONE", "two", "Three")]
    second = run_import(write(source, retitled), "--batch-size", "2")
    after = listed(api, user, token)

    assert first.returncode == 0 and second.returncode == 0, second.stderr[-600:]
    assert [event["batch"] for event in second.events if event.get("event") == "import_batch"] == [
        1,
        2,
    ]
    assert second.summary() == {
        "questionsCreated": 0,
        "questionsUpdated": 3,
        "questionsUnchanged": 0,
    }
    assert {slug: question["id"] for slug, question in after.items()} == {
        slug: question["id"] for slug, question in before.items()
    }
    assert after[slugify(f"Batch {token} One")]["title"] == f"batch {token.upper()} ONE!"


def test_dry_run_reports_and_writes_nothing(api: Api, user: EmulatorUser, tmp_path: Path) -> None:
    token = unique("dry")
    kept = entry(f"Dry {token} Existing")
    run = run_import(write(tmp_path / "seed.json", [kept]))
    assert run.returncode == 0, run.stderr[-600:]
    existing = listed(api, user, token)
    counts_before = topic_counts(api, user)
    count_before = question_count()
    changed = {**kept, "description": "Changed, but only in a dry run."}
    source = write(tmp_path / "bank.json", [changed, entry(f"Dry {token} New")])

    dry = run_import(source, "--dry-run")

    assert dry.returncode == 0, dry.stderr[-600:]
    assert dry.event("import_summary")["dryRun"] is True
    assert dry.summary() == {
        "questionsCreated": 1,
        "questionsUpdated": 1,
        "questionsUnchanged": 0,
    }
    assert listed(api, user, token) == existing
    assert question_count() == count_before
    assert topic_counts(api, user) == counts_before


@pytest.mark.parametrize(
    "bad",
    [
        {"difficulty": "extreme"},
        {"topics": ["strings", "not-a-topic"]},
        {"examples": []},
        {"starterCode": {"python": "x", "javascript": "x", "java": "x"}},
    ],
)
def test_an_invalid_entry_stops_the_import_before_any_write(
    api: Api, user: EmulatorUser, tmp_path: Path, bad: Json
) -> None:
    token = unique("bad")
    entries = [
        entry(f"Valid {token} First"),
        entry(f"Invalid {token} Second", **bad),
        entry(f"Valid {token} Third"),
    ]
    count_before = question_count()

    run = run_import(write(tmp_path / "bank.json", entries))

    assert run.returncode == 2, run.stderr[-600:]
    failure = run.event("import_failed")
    assert failure["severity"] == "ERROR"
    assert f"Invalid {token} Second" in failure["message"]
    assert not [event for event in run.events if event.get("event") == "import_summary"]
    assert listed(api, user, token) == {}
    assert question_count() == count_before


def test_two_entries_with_the_same_slug_stop_the_import(
    api: Api, user: EmulatorUser, tmp_path: Path
) -> None:
    token = unique("twin")
    entries = [entry(f"Twin {token} Title"), entry(f"twin: {token.upper()} -- TITLE")]

    run = run_import(write(tmp_path / "bank.json", entries))

    assert run.returncode == 2, run.stderr[-600:]
    assert "same slug" in run.event("import_failed")["message"]
    assert listed(api, user, token) == {}


@pytest.mark.parametrize("content", ["{not json", '{"title": "an object, not a list"}'])
def test_a_file_that_is_not_a_json_array_exits_2(tmp_path: Path, content: str) -> None:
    source = tmp_path / "bank.json"
    source.write_text(content, encoding="utf-8")

    run = run_import(source)

    assert run.returncode == 2, run.stderr[-600:]
    assert run.event("import_failed")["severity"] == "ERROR"


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    run = run_import(tmp_path / "nowhere.json")

    assert run.returncode == 2, run.stderr[-600:]
    assert "nowhere.json" in run.event("import_failed")["message"]


def test_the_shipped_question_bank_is_valid_and_varied() -> None:
    raw = json.loads((ROOT / "data" / "questions.json").read_text(encoding="utf-8"))

    questions = [QuestionCreate.model_validate(item) for item in raw]

    assert len(questions) >= 60
    per_difficulty = Counter(question.difficulty for question in questions)
    assert all(per_difficulty[difficulty] >= 15 for difficulty in DIFFICULTIES), per_difficulty
    assert len({topic for question in questions for topic in question.topics}) >= 12
    for question in questions:
        assert len(question.examples) >= 2, question.title
        code = question.starter_code.model_dump()
        assert all(code[language].strip() for language in LANGUAGES), question.title
    slugs = [slugify(question.title) for question in questions]
    assert all(slugs) and len(set(slugs)) == len(slugs)


def test_a_title_without_letters_or_digits_stops_the_import_before_any_write(
    api: Api, user: EmulatorUser, tmp_path: Path
) -> None:
    # "!?!" passes the title's length check but gives an empty slug, which the API refuses:
    # validation must catch it up front, like any invalid entry.
    token = unique("noslug")
    entries = [entry(f"Valid {token} First"), entry("!?!"), entry(f"Valid {token} Third")]
    count_before = question_count()

    run = run_import(write(tmp_path / "bank.json", entries), "--batch-size", "1")

    assert run.returncode == 2, run.stderr[-600:]
    assert "'!?!'" in run.event("import_failed")["message"]
    assert listed(api, user, token) == {}
    assert question_count() == count_before


def test_judging_data_comes_with_its_question_and_hidden_tests_change_only_what_changed(
    api: Api, admin: EmulatorUser, tmp_path: Path
) -> None:
    title = f"Import {unique('judge')} Reverse"
    source = write(tmp_path / "bank.json", [entry(title)])
    (tmp_path / "judging").mkdir()
    judging: dict[str, Any] = {
        "signature": {
            "kind": "function",
            "function": "reverseWords",
            "params": [{"name": "s", "type": "string"}],
            "returns": "string",
        },
        "examples": [{"args": ["a b"], "expected": "b a"}, {"args": ["x"], "expected": "x"}],
        "hidden": [{"args": [f"w{i} v"], "expected": f"v w{i}"} for i in range(8)],
    }
    judging_file = tmp_path / "judging" / f"{slugify(title)}.json"
    judging_file.write_text(json.dumps(judging), encoding="utf-8")

    first = run_import(source)
    assert first.returncode == 0, first.stderr[-600:]
    [question] = [q for q in listed(api, admin, title.split()[1]).values()]
    assert question["signature"]["function"] == "reverseWords"
    assert [e["test"] for e in question["examples"]] == [
        {"args": '["a b"]', "expected": '"b a"'},
        {"args": '["x"]', "expected": '"x"'},
    ]
    hidden = api.get(f"/questions/{question['id']}/tests", user=admin).json()["tests"]
    assert hidden[0] == {"args": '["w0 v"]', "expected": '"v w0"'} and len(hidden) == 8

    assert run_import(source).summary()["questionsUnchanged"] == 1
    judging["hidden"] = [*judging["hidden"][:7], {"args": ["p q"], "expected": "q p"}]
    judging_file.write_text(json.dumps(judging), encoding="utf-8")
    assert run_import(source).summary()["questionsUpdated"] == 1
    hidden = api.get(f"/questions/{question['id']}/tests", user=admin).json()["tests"]
    assert hidden[-1] == {"args": '["p q"]', "expected": '"q p"'}

    # Judging data that does not fit its signature stops the import.
    judging["hidden"][0] = {"args": [1], "expected": "x"}
    judging_file.write_text(json.dumps(judging), encoding="utf-8")
    failed = run_import(source)
    assert failed.returncode == 2 and "hidden" in failed.event("import_failed")["message"]
