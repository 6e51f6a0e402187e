"""Checkers for questions with more than one right answer.

Each module ``<name>`` has ``check(*, args, expected, actual) -> bool``; a signature selects it
with ``compare: "checker:<name>"``. A checker must accept every right answer and refuse the rest,
and never raise on a malformed ``actual`` (return False).
"""
