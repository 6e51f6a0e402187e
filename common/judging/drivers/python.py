"""The python driver: reads one test's arguments as JSON on stdin and prints the answer."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from common.judging.drivers._common import used_types
from common.judging.signature import (
    DesignSignature,
    FunctionSignature,
    Param,
    snake_case,
)

if TYPE_CHECKING:
    from common.judging.signature import Signature

__all__ = ["program", "starter"]

# Appended after the user's code; names start with _pp_ so they cannot clash with it.
_DRIVER = r"""

# ---- PeerPrep judge: reads a test from stdin, prints the answer ----
import json as _pp_json
import sys as _pp_sys

_PP_SPEC = _pp_json.loads(__PP_SPEC__)
_PP_MARK = __PP_MARK__
_PP_MAX_NODES = 1_000_000


def _pp_class(name):
    found = globals().get(name)
    if found is None:
        found = type(name, (), {})
        globals()[name] = found
    return found


def _pp_node(name, val):
    node = _pp_class(name).__new__(_pp_class(name))
    node.val = val
    if name == "TreeNode":
        node.left = None
        node.right = None
    else:
        node.next = None
    return node


def _pp_decode(kind, value):
    if kind == "ListNode":
        head = None
        for val in reversed(value):
            node = _pp_node("ListNode", val)
            node.next = head
            head = node
        return head
    if kind == "ListNode[]":
        return [_pp_decode("ListNode", item) for item in value]
    if kind == "TreeNode":
        if not value:
            return None
        nodes = [None if val is None else _pp_node("TreeNode", val) for val in value]
        children = iter(nodes[1:])
        for node in nodes:
            if node is None:
                continue
            node.left = next(children, None)
            node.right = next(children, None)
        return nodes[0]
    if kind == "double":
        return float(value)
    return value


def _pp_encode(kind, value):
    if kind == "ListNode":
        values = []
        while value is not None:
            if len(values) >= _PP_MAX_NODES:
                raise ValueError("the returned linked list does not end (a cycle?)")
            values.append(value.val)
            value = value.next
        return values
    if kind == "ListNode[]":
        return [_pp_encode("ListNode", item) for item in value]
    if kind == "TreeNode":
        values, queue, at = [], [value], 0
        while at < len(queue):
            node = queue[at]
            at += 1
            if len(queue) > 2 * _PP_MAX_NODES:
                raise ValueError("the returned tree does not end (a cycle?)")
            values.append(None if node is None else node.val)
            if node is not None:
                queue.extend((node.left, node.right))
        while values and values[-1] is None:
            values.pop()
        return values
    if kind == "void":
        return None
    return value


def _pp_answer():
    spec = _PP_SPEC
    args = _pp_json.loads(_pp_sys.stdin.read())
    if spec["kind"] == "function":
        params = spec["params"]
        values = [_pp_decode(p["type"], a) for p, a in zip(params, args)]
        solution = globals().get("Solution")
        call = getattr(solution(), spec["python"]) if solution else globals()[spec["python"]]
        result = call(*values)
        if spec.get("mutates"):
            index = [p["name"] for p in params].index(spec["mutates"])
            return _pp_encode(params[index]["type"], values[index])
        return _pp_encode(spec["returns"], result)
    if spec["kind"] == "codec":
        cls = globals()[spec["className"]]
        data = cls().serialize(_pp_decode(spec["type"], args[0]))
        if not isinstance(data, str):
            raise TypeError(f"serialize must return a string, not {type(data).__name__}")
        return _pp_encode(spec["type"], cls().deserialize(data))
    ctor = [_pp_decode(p["type"], a) for p, a in zip(spec["constructor"], args[0])]
    instance = globals()[spec["className"]](*ctor)
    methods = {m["name"]: m for m in spec["methods"]}
    answers = []
    for name, *call_args in args[1]:
        method = methods[name]
        values = [_pp_decode(p["type"], a) for p, a in zip(method["params"], call_args)]
        result = getattr(instance, method["python"])(*values)
        answers.append(_pp_encode(method["returns"], result))
    return answers


def _pp_main():
    text = _pp_json.dumps(_pp_answer(), separators=(",", ":"), allow_nan=False)
    _pp_sys.stdout.flush()
    _pp_sys.stdout.write("\n" + _PP_MARK + text + "\n")


# Deep recursion (a 10^4-node chain) is fair game: a thread with a large stack allows it.
import threading as _pp_threading

_pp_sys.setrecursionlimit(200_000)
_pp_threading.stack_size(64 * 1024 * 1024)
_pp_failed = []


def _pp_guarded():
    try:
        _pp_main()
    except BaseException:
        _pp_failed.append(True)
        raise


_pp_thread = _pp_threading.Thread(target=_pp_guarded)
_pp_thread.start()
_pp_thread.join()
if _pp_failed:
    _pp_sys.exit(1)
"""


def _spec(signature: Signature) -> dict[str, object]:
    spec = signature.model_dump(by_alias=True)
    if isinstance(signature, FunctionSignature):
        spec["python"] = snake_case(signature.function)
    elif isinstance(signature, DesignSignature):
        for method in spec["methods"]:
            method["python"] = snake_case(method["name"])
    return spec


def program(signature: Signature, source: str, mark: str) -> str:
    """Return the user's source followed by the driver for this signature."""
    driver = _DRIVER.replace("__PP_SPEC__", repr(json.dumps(_spec(signature)))).replace(
        "__PP_MARK__", repr(mark)
    )
    return source.rstrip("\n") + "\n" + driver


_TYPES = {
    "int": "int",
    "long": "int",
    "double": "float",
    "bool": "bool",
    "string": "str",
    "int[]": "List[int]",
    "int[][]": "List[List[int]]",
    "string[]": "List[str]",
    "string[][]": "List[List[str]]",
    "char[][]": "List[List[str]]",
    "ListNode": "Optional[ListNode]",
    "ListNode[]": "List[Optional[ListNode]]",
    "TreeNode": "Optional[TreeNode]",
    "void": "None",
}
_LIST_NODE = """class ListNode:
    def __init__(self, val: int = 0, next: "Optional[ListNode]" = None):
        self.val = val
        self.next = next
"""
_TREE_NODE = """class TreeNode:
    def __init__(self, val: int = 0, left: "Optional[TreeNode]" = None, right: "Optional[TreeNode]" = None):
        self.val = val
        self.left = left
        self.right = right
"""  # noqa: E501 - as in the bank's starters


def _params(params: list[Param]) -> str:
    return "".join(f", {param.name}: {_TYPES[param.type]}" for param in params)


def starter(signature: Signature) -> str:
    """Return the starter code that follows the signature."""
    types = used_types(signature)
    hints = " ".join(_TYPES[kind] for kind in types)
    typing = [name for name in ("List", "Optional") if f"{name}[" in hints]
    parts = [f"from typing import {', '.join(typing)}\n\n\n"] if typing else []
    if "ListNode" in " ".join(types):
        parts.append(_LIST_NODE + "\n\n")
    if "TreeNode" in types:
        parts.append(_TREE_NODE + "\n\n")
    if isinstance(signature, FunctionSignature):
        parts.append(
            "class Solution:\n"
            f"    def {snake_case(signature.function)}(self{_params(signature.params)})"
            f" -> {_TYPES[signature.returns]}:\n        pass\n"
        )
    elif isinstance(signature, DesignSignature):
        lines = [f"class {signature.class_name}:"]
        lines += [f"    def __init__(self{_params(signature.constructor)}):", "        pass", ""]
        for method in signature.methods:
            lines.append(
                f"    def {snake_case(method.name)}(self{_params(method.params)})"
                f" -> {_TYPES[method.returns]}:"
            )
            lines += ["        pass", ""]
        parts.append("\n".join(lines[:-1]) + "\n")
    else:
        kind = _TYPES[signature.type]
        value = "root" if signature.type == "TreeNode" else "value"
        parts.append(
            f"class {signature.class_name}:\n"
            "    def __init__(self):\n        pass\n\n"
            f"    def serialize(self, {value}: {kind}) -> str:\n        pass\n\n"
            f"    def deserialize(self, data: str) -> {kind}:\n        pass\n"
        )
    return "".join(parts)
