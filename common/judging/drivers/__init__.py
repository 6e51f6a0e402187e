"""The drivers: each language's program around the user's code, and its starter code.

``program(language, signature, source, mark)`` returns the source to run: the user's code
followed by a driver that reads one test's arguments as a JSON array on stdin, calls the code,
and prints ``"\\n" + mark + <the answer as JSON> + "\\n"`` after the user's own output.
``starter(language, signature)`` returns the code a user starts from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from common.judging.drivers import cpp, java, javascript, python

if TYPE_CHECKING:
    from common.judging.signature import Signature

__all__ = ["LANGUAGES", "program", "starter"]

_PROGRAMS: dict[str, Callable[[Signature, str, str], str]] = {
    "python": python.program,
    "javascript": javascript.program,
    "java": java.program,
    "cpp": cpp.program,
}
_STARTERS: dict[str, Callable[[Signature], str]] = {
    "python": python.starter,
    "javascript": javascript.starter,
    "java": java.starter,
    "cpp": cpp.starter,
}
LANGUAGES = tuple(_PROGRAMS)


def program(language: str, signature: Signature, source: str, mark: str) -> str:
    """Return the program that judges ``source`` (in ``language``) on one test."""
    if language not in _PROGRAMS:
        raise ValueError(f"no driver for {language!r}")
    return _PROGRAMS[language](signature, source, mark)


def starter(language: str, signature: Signature) -> str:
    """Return the starter code of ``language`` that follows the signature."""
    if language not in _STARTERS:
        raise ValueError(f"no driver for {language!r}")
    return _STARTERS[language](signature)
