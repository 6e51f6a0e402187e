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
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from common.models import ApiInput

__all__ = [
    "CodecSignature",
    "Compare",
    "DesignSignature",
    "FunctionSignature",
    "JudgeTest",
    "Method",
    "Param",
    "Signature",
    "ValueType",
    "check_args",
    "check_test",
    "check_value",
    "snake_case",
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


def _integer(bound: int) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and -bound <= value < bound

    return check


def _tree(value: Any) -> bool:
    return (
        isinstance(value, list)
        and (not value or value[0] is not None)
        and all(item is None or _SCALARS["int"][1](item) for item in value)
    )


# A scalar type -> (what it is called in errors, whether a value is one).
_SCALARS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "int": ("a 32-bit integer", _integer(2**31)),
    "long": ("a 64-bit integer", _integer(2**63)),
    "double": (
        "a number",
        lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    ),
    "bool": ("true or false", lambda value: isinstance(value, bool)),
    "string": ("a string", lambda value: isinstance(value, str)),
    "char": ("a one-character string", lambda value: isinstance(value, str) and len(value) == 1),
    "ListNode": (
        "a list of 32-bit integers (a linked list)",
        lambda value: isinstance(value, list) and all(_integer(2**31)(item) for item in value),
    ),
    "TreeNode": ("a level-order list of 32-bit integers and nulls (a tree)", _tree),
}


def check_value(kind: str, value: Any, where: str = "value") -> None:
    """Raise ValueError when ``value`` is not a JSON value of type ``kind``."""
    if kind.endswith("[]"):
        if not isinstance(value, list):
            raise ValueError(f"{where}: expected a list ({kind})")
        for index, item in enumerate(value):
            check_value(kind[:-2], item, f"{where}[{index}]")
        return
    if kind not in _SCALARS:
        raise ValueError(f"{where}: unknown type {kind}")
    described, fits = _SCALARS[kind]
    if not fits(value):
        raise ValueError(f"{where}: expected {described}")


def _call_types(signature: DesignSignature, call: Any, where: str) -> None:
    methods = {method.name: method for method in signature.methods}
    if not isinstance(call, list) or not call or call[0] not in methods:
        raise ValueError(f"{where}: expected [method, arg...] with a method of the class")
    method = methods[call[0]]
    if len(call) - 1 != len(method.params):
        raise ValueError(f"{where}: {method.name} takes {len(method.params)} arguments")
    for param, value in zip(method.params, call[1:], strict=True):
        check_value(param.type, value, f"{where}.{param.name}")


def check_args(
    signature: FunctionSignature | DesignSignature | CodecSignature, args: list[Any]
) -> None:
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


def check_test(
    signature: FunctionSignature | DesignSignature | CodecSignature, args: list[Any], expected: Any
) -> None:
    """Raise ValueError when a test's arguments or expected answer do not fit the signature."""
    check_args(signature, args)
    if isinstance(signature, FunctionSignature):
        kinds = {param.name: param.type for param in signature.params}
        returned = kinds[signature.mutates] if signature.mutates else signature.returns
        check_value(returned, expected, "expected")
    elif isinstance(signature, DesignSignature):
        calls = args[1]
        if not isinstance(expected, list) or len(expected) != len(calls):
            raise ValueError("expected: one result per call")
        methods = {method.name: method for method in signature.methods}
        for index, (call, result) in enumerate(zip(calls, expected, strict=True)):
            returns = methods[call[0]].returns
            if returns == "void":
                if result is not None:
                    raise ValueError(f"expected[{index}]: {call[0]} returns nothing (null)")
            else:
                check_value(returns, result, f"expected[{index}]")
    else:
        check_value(signature.type, expected, "expected")
