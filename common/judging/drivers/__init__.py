"""The driver of each language: the user's code plus what reads a test and prints the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from common.judging.drivers import python

if TYPE_CHECKING:
    from common.judging.signature import Signature

__all__ = ["program", "starter"]


def program(language: str, signature: Signature, source: str, mark: str) -> str:
    """Return the program that runs ``source`` on one test read from stdin."""
    if language != "python":
        raise NotImplementedError(language)
    return python.program(signature, source, mark)


def starter(language: str, signature: Signature) -> str:
    """Return the starter code of ``language`` that follows the signature."""
    if language != "python":
        raise NotImplementedError(language)
    return python.starter(signature)
