"""Fixed vocabularies: topics, difficulties, languages, reserved usernames."""

from __future__ import annotations

from typing import Literal

__all__ = [
    "DIFFICULTIES",
    "LANGUAGES",
    "RESERVED_USERNAMES",
    "TOPICS",
    "Difficulty",
    "Language",
]

Difficulty = Literal["easy", "medium", "hard"]
Language = Literal["python", "javascript", "java", "cpp"]
DIFFICULTIES: tuple[Difficulty, ...] = ("easy", "medium", "hard")
LANGUAGES: tuple[Language, ...] = ("python", "javascript", "java", "cpp")

# Topic slug -> display name. Questions and match requests may name only these.
TOPICS: dict[str, str] = {
    "arrays": "Arrays",
    "strings": "Strings",
    "hash-table": "Hash Table",
    "two-pointers": "Two Pointers",
    "sliding-window": "Sliding Window",
    "stack": "Stack",
    "queue": "Queue",
    "linked-list": "Linked List",
    "trees": "Trees",
    "binary-search": "Binary Search",
    "graphs": "Graphs",
    "breadth-first-search": "Breadth-First Search",
    "depth-first-search": "Depth-First Search",
    "dynamic-programming": "Dynamic Programming",
    "greedy": "Greedy",
    "sorting": "Sorting",
    "heap": "Heap",
    "recursion": "Recursion",
    "backtracking": "Backtracking",
    "bit-manipulation": "Bit Manipulation",
    "math": "Math",
    "matrix": "Matrix",
    "intervals": "Intervals",
    "trie": "Trie",
    "union-find": "Union Find",
    "design": "Design",
}

RESERVED_USERNAMES = frozenset(
    {
        "admin",
        "administrator",
        "ai",
        "anonymous",
        "api",
        "help",
        "me",
        "mod",
        "moderator",
        "null",
        "peerprep",
        "root",
        "staff",
        "support",
        "system",
        "undefined",
    }
)
