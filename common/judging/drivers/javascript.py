"""The javascript driver: reads one test's arguments as JSON on stdin and prints the answer.

The user's code is a script (``node main.js``): a top-level ``function`` (or a ``Solution``
class) for ``function`` signatures, the named class otherwise. Numbers are javascript numbers,
so a ``long`` beyond 2**53 loses precision; a grid of characters is an array of strings.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from common.judging.drivers._common import used_types
from common.judging.signature import (
    CodecSignature,
    DesignSignature,
    FunctionSignature,
    Param,
)

if TYPE_CHECKING:
    from common.judging.signature import Signature

__all__ = ["program", "starter"]

# Appended after the user's code, inside a block so that its names cannot clash with the user's;
# the leading ";" ends a last statement of the user's that lacks one.
_DRIVER = r"""
;
// ---- PeerPrep judge: reads a test from stdin, prints the answer ----
{
  const _ppSpec = JSON.parse(__PP_SPEC__);
  const _ppMark = __PP_MARK__;
  const _ppMaxNodes = 1000000;
  const _ppNames = {
__PP_NAMES__
  };

  const _ppNode = (name, val) => {
    const found = _ppNames[name];
    const node = typeof found === "function" ? new found(val) : {};
    node.val = val;
    if (name === "TreeNode") {
      node.left = null;
      node.right = null;
    } else {
      node.next = null;
    }
    return node;
  };

  const _ppDecode = (kind, value) => {
    if (kind === "ListNode") {
      let head = null;
      for (let at = value.length - 1; at >= 0; at--) {
        const node = _ppNode("ListNode", value[at]);
        node.next = head;
        head = node;
      }
      return head;
    }
    if (kind === "ListNode[]") return value.map((item) => _ppDecode("ListNode", item));
    if (kind === "TreeNode") {
      if (value.length === 0) return null;
      const nodes = value.map((val) => (val === null ? null : _ppNode("TreeNode", val)));
      let child = 1;
      for (const node of nodes) {
        if (node === null) continue;
        node.left = child < nodes.length ? nodes[child] : null;
        node.right = child + 1 < nodes.length ? nodes[child + 1] : null;
        child += 2;
      }
      return nodes[0];
    }
    return value;
  };

  const _ppPlain = (value) => {
    if (value === undefined || value === null) return null;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw new Error(`the answer holds ${value}, not a JSON number`);
      return value;
    }
    if (typeof value === "bigint") return Number(value);
    if (typeof value === "boolean" || typeof value === "string") return value;
    if (Array.isArray(value) || ArrayBuffer.isView(value)) return Array.from(value, _ppPlain);
    throw new Error(`the answer holds a value of type ${typeof value}, not a JSON value`);
  };

  const _ppEncode = (kind, value) => {
    if (kind === "ListNode") {
      const values = [];
      for (let node = value; node !== null && node !== undefined; node = node.next) {
        if (values.length >= _ppMaxNodes) {
          throw new Error("the returned linked list does not end (a cycle?)");
        }
        values.push(_ppPlain(node.val));
      }
      return values;
    }
    if (kind === "ListNode[]") return Array.from(value, (item) => _ppEncode("ListNode", item));
    if (kind === "TreeNode") {
      const values = [];
      const queue = [value];
      for (let at = 0; at < queue.length; at++) {
        if (queue.length > 2 * _ppMaxNodes) {
          throw new Error("the returned tree does not end (a cycle?)");
        }
        const node = queue[at];
        if (node === null || node === undefined) {
          values.push(null);
        } else {
          values.push(_ppPlain(node.val));
          queue.push(node.left ?? null, node.right ?? null);
        }
      }
      while (values.length > 0 && values[values.length - 1] === null) values.pop();
      return values;
    }
    if (kind === "void") return null;
    return _ppPlain(value);
  };

  const _ppCall = (params, values) => params.map((param, at) => _ppDecode(param.type, values[at]));

  const _ppAnswer = (args) => {
    const spec = _ppSpec;
    if (spec.kind === "function") {
      const values = _ppCall(spec.params, args);
      const fn = _ppNames[spec.function];
      let result;
      if (typeof fn === "function") {
        result = fn(...values);
      } else if (typeof _ppNames.Solution === "function") {
        result = new _ppNames.Solution()[spec.function](...values);
      } else {
        throw new Error(`define the function ${spec.function}`);
      }
      if (spec.mutates) {
        const at = spec.params.findIndex((param) => param.name === spec.mutates);
        return _ppEncode(spec.params[at].type, values[at]);
      }
      return _ppEncode(spec.returns, result);
    }
    const Cls = _ppNames[spec.className];
    if (typeof Cls !== "function") throw new Error(`define the class ${spec.className}`);
    if (spec.kind === "codec") {
      const data = new Cls().serialize(_ppDecode(spec.type, args[0]));
      if (typeof data !== "string") {
        throw new Error(`serialize must return a string, not ${typeof data}`);
      }
      return _ppEncode(spec.type, new Cls().deserialize(data));
    }
    const instance = new Cls(..._ppCall(spec.constructor, args[0]));
    const methods = new Map(spec.methods.map((method) => [method.name, method]));
    return args[1].map(([name, ...callArgs]) => {
      const method = methods.get(name);
      const result = instance[name](..._ppCall(method.params, callArgs));
      return _ppEncode(method.returns, result);
    });
  };

  const _ppText = JSON.stringify(_ppAnswer(JSON.parse(require("fs").readFileSync(0, "utf8"))));
  process.stdout.write("\n" + _ppMark + _ppText + "\n");
}
"""


def _names(signature: Signature) -> list[str]:
    names = ["ListNode", "TreeNode"]
    if isinstance(signature, FunctionSignature):
        names += [signature.function, "Solution"]
    else:
        names.append(signature.class_name)
    return names


def program(signature: Signature, source: str, mark: str) -> str:
    """Return the user's source followed by the driver for this signature."""
    spec = json.dumps(json.dumps(signature.model_dump(by_alias=True)))
    names = "\n".join(
        f'    {name}: typeof {name} === "undefined" ? undefined : {name},'
        for name in _names(signature)
    )
    driver = (
        _DRIVER.replace("__PP_SPEC__", spec)
        .replace("__PP_MARK__", json.dumps(mark))
        .replace("__PP_NAMES__", names)
    )
    return source.rstrip("\n") + "\n" + driver


_TYPES = {
    "int": "number",
    "long": "number",
    "double": "number",
    "bool": "boolean",
    "string": "string",
    "int[]": "number[]",
    "int[][]": "number[][]",
    "string[]": "string[]",
    "string[][]": "string[][]",
    "char[][]": "string[][]",
    "ListNode": "ListNode|null",
    "ListNode[]": "Array<ListNode|null>",
    "TreeNode": "TreeNode|null",
    "void": "void",
}
_LIST_NODE = """class ListNode {
  constructor(val = 0, next = null) {
    this.val = val;
    this.next = next;
  }
}
"""
_TREE_NODE = """class TreeNode {
  constructor(val = 0, left = null, right = null) {
    this.val = val;
    this.left = left;
    this.right = right;
  }
}
"""
_BODY = "// your code here"


def _doc(params: list[Param], returns: str | None, indent: str) -> list[str]:
    lines = [f"{indent}/**"]
    lines += [f"{indent} * @param {{{_TYPES[p.type]}}} {p.name}" for p in params]
    if returns is not None:
        lines.append(f"{indent} * @return {{{_TYPES[returns]}}}")
    return [*lines, f"{indent} */"]


def _names_of(params: list[Param]) -> str:
    return ", ".join(param.name for param in params)


def starter(signature: Signature) -> str:
    """Return the starter code that follows the signature."""
    types = " ".join(used_types(signature))
    parts = []
    if "ListNode" in types:
        parts.append(_LIST_NODE + "\n")
    if "TreeNode" in types:
        parts.append(_TREE_NODE + "\n")
    if isinstance(signature, FunctionSignature):
        lines = _doc(signature.params, signature.returns, "")
        lines += [
            f"function {signature.function}({_names_of(signature.params)}) {{",
            f"  {_BODY}",
            "}",
        ]
    elif isinstance(signature, DesignSignature):
        lines = [f"class {signature.class_name} {{"]
        if signature.constructor:
            lines += _doc(signature.constructor, None, "  ")
        lines += [f"  constructor({_names_of(signature.constructor)}) {{", f"    {_BODY}", "  }"]
        for method in signature.methods:
            lines += ["", *_doc(method.params, method.returns, "  ")]
            lines += [f"  {method.name}({_names_of(method.params)}) {{", f"    {_BODY}", "  }"]
        lines.append("}")
    else:
        lines = _codec(signature)
    parts.append("\n".join(lines) + "\n")
    return "".join(parts)


def _codec(signature: CodecSignature) -> list[str]:
    value = Param(name="root" if signature.type == "TreeNode" else "value", type=signature.type)
    data = Param(name="data", type="string")
    return [
        f"class {signature.class_name} {{",
        "  constructor() {",
        f"    {_BODY}",
        "  }",
        "",
        *_doc([value], "string", "  "),
        f"  serialize({value.name}) {{",
        f"    {_BODY}",
        "  }",
        "",
        *_doc([data], signature.type, "  "),
        "  deserialize(data) {",
        f"    {_BODY}",
        "  }",
        "}",
    ]
