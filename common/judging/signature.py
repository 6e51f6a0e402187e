"""What a question's code must look like to be judged: its signature and the value types it uses.

A signature names one of three shapes:

- ``function``: ``Solution().<name>(*args)`` (a top-level function in javascript); its result,
  or with ``mutates`` the named argument after the call, is the answer;
- ``design``: a class built with the constructor's arguments, then called method by method; the
  answer is the list of every call's result (``null`` for the constructor and ``void`` methods);
- ``codec``: a class with ``serialize`` and ``deserialize``; the answer is
  ``deserialize(serialize(value))``, which must equal the value.

A test's ``args`` are JSON values, one per parameter (for ``design``: the constructor's arguments
and the list of calls ``[method, arg...]``). Trees are level-order lists with ``null`` for a
missing child, linked lists are lists of values.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from common.models import ApiInput

__all__ = [
    "ValueType",
    "Compare",
    "Param",
    "Method",
    "FunctionSignature",
    "DesignSignature",
    "CodecSignature",
    "Signature",
    "JudgeTest",
    "snake_case",
    "check_args",
    "check_value",
]

ValueType = Literal[
    "int",
    "long",
    "double",
    "bool",
    "string",
    "int[]",
    "int[][]",
    "string[]",
    "string[][]",
    "char[][]",
    "ListNode",
    "ListNode[]",
    "TreeNode",
]
ReturnType = ValueType | Literal["void"]
# How an answer is compared with the expected one: ``unordered`` ignores the order of the outer
# list, ``unordered_deep`` also the order inside each inner list, ``float`` allows 1e-5, and
# ``checker:<name>`` asks ``common.judging.checkers.<name>``.
Compare = Annotated[
    str, StringConstraints(pattern=r"^(exact|unordered|unordered_deep|float|checker:[a-z_]+)$")
]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][A-Za-z0-9]{0,59}$")]
ClassName = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9]{0,59}$")]


class Param(ApiInput):
    """A named, typed parameter."""

    name: Identifier
    type: ValueType


Params = Annotated[list[Param], Field(max_length=8)]


class Method(ApiInput):
    """A method of a design class."""

    name: Identifier
    params: Params = Field(default_factory=list)
    returns: ReturnType


class FunctionSignature(ApiInput):
    """``Solution().<function>(...)``: one call per test."""

    kind: Literal["function"] = "function"
    function: Identifier
    params: Annotated[list[Param], Field(min_length=1, max_length=8)]
    returns: ReturnType
    mutates: Identifier | None = None
    compare: Compare = "exact"

    @model_validator(mode="after")
    def _answer_defined(self) -> FunctionSignature:
        names = [param.name for param in self.params]
        if len(set(names)) != len(names):
            raise ValueError("params: names must differ")
        if (self.returns == "void") != (self.mutates is not None):
            raise ValueError("a void function needs mutates (the parameter it changes), others not")
        if self.mutates is not None and self.mutates not in names:
            raise ValueError("mutates must name a parameter")
        return self


class DesignSignature(ApiInput):
    """A class called method by method."""

    kind: Literal["design"] = "design"
    class_name: ClassName
    constructor: Params = Field(default_factory=list)
    methods: Annotated[list[Method], Field(min_length=1, max_length=10)]
    compare: Compare = "exact"


class CodecSignature(ApiInput):
    """A class whose ``deserialize(serialize(value))`` must give the value back."""

    kind: Literal["codec"] = "codec"
    class_name: ClassName
    type: ValueType
    compare: Compare = "exact"


Signature = Annotated[
    FunctionSignature | DesignSignature | CodecSignature, Field(discriminator="kind")
]


class JudgeTest(ApiInput):
    """One judged call: its arguments and the expected answer, as JSON values."""

    args: Annotated[list[Any], Field(max_length=8)]
    expected: Any


def snake_case(name: str) -> str:
    """Return python's spelling of a camelCase name."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_INT32 = 2**31
_INT64 = 2**63


def check_value(kind: str, value: Any, where: str = "value") -> None:
    """Raise ValueError when ``value`` is not a JSON value of type ``kind``."""

    def fail(expected: str) -> None:
        raise ValueError(f"{where}: expected {expected}")

    def integer(number: Any, bound: int) -> None:
        if isinstance(number, bool) or not isinstance(number, int) or not -bound <= number < bound:
            fail(f"an integer of {kind}")

    if kind in ("int", "long"):
        integer(value, _INT32 if kind == "int" else _INT64)
    elif kind == "double":
        if isinstance(value, bool) or not isinstance(value, int | float):
            fail("a number")
    elif kind == "bool":
        if not isinstance(value, bool):
            fail("true or false")
    elif kind == "string":
        if not isinstance(value, str):
            fail("a string")
    elif kind.endswith("[]") and kind != "ListNode[]":
        if not isinstance(value, list):
            fail(f"a list ({kind})")
        for index, item in enumerate(value):
            check_value(kind[:-2], item, f"{where}[{index}]")
    elif kind == "char":
        if not isinstance(value, str) or len(value) != 1:
            fail("a one-character string")
    elif kind == "ListNode":
        if not isinstance(value, list):
            fail("a list of values (a linked list)")
        for item in value:
            integer(item, _INT32)
    elif kind == "ListNode[]":
        if not isinstance(value, list):
            fail("a list of linked lists")
        for index, item in enumerate(value):
            check_value("ListNode", item, f"{where}[{index}]")
    elif kind == "TreeNode":
        if not isinstance(value, list) or (value and value[0] is None):
            fail("a level-order list of values and nulls (a tree)")
        for item in value:
            if item is not None:
                integer(item, _INT32)
    else:
        raise ValueError(f"{where}: unknown type {kind}")


def _call_types(signature: DesignSignature, call: Any, where: str) -> None:
    methods = {method.name: method for method in signature.methods}
    if not isinstance(call, list) or not call or call[0] not in methods:
        raise ValueError(f"{where}: expected [method, arg...] with a method of the class")
    method = methods[call[0]]
    if len(call) - 1 != len(method.params):
        raise ValueError(f"{where}: {method.name} takes {len(method.params)} arguments")
    for param, value in zip(method.params, call[1:], strict=True):
        check_value(param.type, value, f"{where}.{param.name}")


def check_args(signature: FunctionSignature | DesignSignature | CodecSignature, args: list[Any]) -> None:
    """Raise ValueError when a test's arguments do not fit the signature."""
    if isinstance(signature, FunctionSignature):
        params = signature.params
        if len(args) != len(params):
            raise ValueError(f"args: expected {len(params)} values, one per parameter")
        for param, value in zip(params, args, strict=True):
            check_value(param.type, value, f"args.{param.name}")
    elif isinstance(signature, DesignSignature):
        if len(args) != 2 or not isinstance(args[0], list) or not isinstance(args[1], list):
            raise ValueError("args: expected [constructor args, [[method, arg...], ...]]")
        if len(args[0]) != len(signature.constructor):
            raise ValueError(f"args: the constructor takes {len(signature.constructor)} arguments")
        for param, value in zip(signature.constructor, args[0], strict=True):
            check_value(param.type, value, f"args.{param.name}")
        if not args[1]:
            raise ValueError("args: expected at least one call")
        for index, call in enumerate(args[1]):
            _call_types(signature, call, f"args.calls[{index}]")
    else:
        if len(args) != 1:
            raise ValueError("args: expected one value, the one to encode and decode")
        check_value(signature.type, args[0], "args.value")
