"""The java driver: reads one test's arguments as JSON on stdin and prints the answer.

The user's classes come first (with their imports); the driver's classes follow and name
everything outside ``java.lang`` in full, since they cannot add imports. The runner compiles the
file as its first ``public class``: the driver's ``PeerPrepMain``, so ``public`` is taken off the
user's own top-level types (two public classes cannot share a file) and a ``package`` line is
dropped. Results are written through a generic encoder, so a method may return an array or a
``List`` (``int[]`` or ``List<Integer>``, ``int[][]`` or ``List<List<Integer>>``, ...).
"""

from __future__ import annotations

import json
import re
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

__all__ = ["MAIN_CLASS", "program", "starter"]

MAIN_CLASS = "PeerPrepMain"

# A type declaration's ``public`` (with the modifiers that may follow it), and a package line.
_PUBLIC_TYPE = re.compile(
    r"\bpublic\s+(?=(?:(?:final|abstract|strictfp|static|sealed|non-sealed)\s+)*"
    r"(?:class|interface|enum|record)\b)"
)
_PACKAGE = re.compile(r"^[ \t]*package\s+[\w.]+\s*;", re.MULTILINE)

# The JSON reader and writer: a value is null, Boolean, Long, Double, String or ArrayList<Object>.
_JSON = r"""
final class PeerPrepJson {
    private final String text;
    private int at;

    private PeerPrepJson(String text) { this.text = text; }

    static Object parse(String text) {
        PeerPrepJson reader = new PeerPrepJson(text);
        Object value = reader.value();
        reader.space();
        if (reader.at != text.length()) throw reader.error();
        return value;
    }

    private IllegalArgumentException error() {
        return new IllegalArgumentException("bad JSON input at offset " + at);
    }

    private void space() {
        while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) at++;
    }

    private boolean word(String word) {
        if (!text.startsWith(word, at)) return false;
        at += word.length();
        return true;
    }

    private Object value() {
        space();
        if (at >= text.length()) throw error();
        char c = text.charAt(at);
        if (c == '[') {
            at++;
            java.util.ArrayList<Object> items = new java.util.ArrayList<>();
            space();
            if (word("]")) return items;
            while (true) {
                items.add(value());
                space();
                if (word("]")) return items;
                if (!word(",")) throw error();
            }
        }
        if (c == '"') return string();
        if (word("null")) return null;
        if (word("true")) return Boolean.TRUE;
        if (word("false")) return Boolean.FALSE;
        int start = at;
        while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) at++;
        String number = text.substring(start, at);
        try {
            if (number.matches("-?\\d+")) return Long.parseLong(number);
            return Double.parseDouble(number);
        } catch (NumberFormatException e) {
            at = start;
            throw error();
        }
    }

    private String string() {
        StringBuilder out = new StringBuilder();
        at++;
        while (true) {
            if (at >= text.length()) throw error();
            char c = text.charAt(at++);
            if (c == '"') return out.toString();
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (at >= text.length()) throw error();
            char e = text.charAt(at++);
            switch (e) {
                case 'b': out.append('\b'); break;
                case 'f': out.append('\f'); break;
                case 'n': out.append('\n'); break;
                case 'r': out.append('\r'); break;
                case 't': out.append('\t'); break;
                case 'u':
                    if (at + 4 > text.length()) throw error();
                    out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    at += 4;
                    break;
                default: out.append(e);
            }
        }
    }

    // ---- from JSON values to java's ----

    static java.util.List<?> list(Object value) {
        if (!(value instanceof java.util.List)) {
            throw new IllegalArgumentException("expected a list");
        }
        return (java.util.List<?>) value;
    }

    static int toInt(Object value) { return ((Number) value).intValue(); }

    static long toLong(Object value) { return ((Number) value).longValue(); }

    static double toDouble(Object value) { return ((Number) value).doubleValue(); }

    static boolean toBool(Object value) { return (Boolean) value; }

    static String toStr(Object value) { return (String) value; }

    static char toChar(Object value) {
        String text = (String) value;
        if (text.length() != 1) throw new IllegalArgumentException("expected one character");
        return text.charAt(0);
    }

    static int[] toIntArray(Object value) {
        java.util.List<?> items = list(value);
        int[] out = new int[items.size()];
        for (int i = 0; i < out.length; i++) out[i] = toInt(items.get(i));
        return out;
    }

    static int[][] toIntGrid(Object value) {
        java.util.List<?> items = list(value);
        int[][] out = new int[items.size()][];
        for (int i = 0; i < out.length; i++) out[i] = toIntArray(items.get(i));
        return out;
    }

    static String[] toStrArray(Object value) {
        java.util.List<?> items = list(value);
        String[] out = new String[items.size()];
        for (int i = 0; i < out.length; i++) out[i] = toStr(items.get(i));
        return out;
    }

    static String[][] toStrGrid(Object value) {
        java.util.List<?> items = list(value);
        String[][] out = new String[items.size()][];
        for (int i = 0; i < out.length; i++) out[i] = toStrArray(items.get(i));
        return out;
    }

    static char[][] toCharGrid(Object value) {
        java.util.List<?> items = list(value);
        char[][] out = new char[items.size()][];
        for (int i = 0; i < out.length; i++) {
            java.util.List<?> row = list(items.get(i));
            out[i] = new char[row.size()];
            for (int j = 0; j < out[i].length; j++) out[i][j] = toChar(row.get(j));
        }
        return out;
    }

    // ---- from java's values to JSON ----

    static void write(StringBuilder out, Object value) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long
                || value instanceof Short || value instanceof Byte) {
            out.append(value);
        } else if (value instanceof Double || value instanceof Float) {
            double number = ((Number) value).doubleValue();
            if (Double.isNaN(number) || Double.isInfinite(number)) {
                throw new IllegalStateException("the answer holds " + number + ", not JSON");
            }
            out.append(number);
        } else if (value instanceof Character) {
            writeString(out, value.toString());
        } else if (value instanceof CharSequence) {
            writeString(out, value.toString());
        } else if (value instanceof Iterable) {
            out.append('[');
            boolean first = true;
            for (Object item : (Iterable<?>) value) {
                if (!first) out.append(',');
                first = false;
                write(out, item);
            }
            out.append(']');
        } else if (value.getClass().isArray()) {
            out.append('[');
            int length = java.lang.reflect.Array.getLength(value);
            for (int i = 0; i < length; i++) {
                if (i > 0) out.append(',');
                write(out, java.lang.reflect.Array.get(value, i));
            }
            out.append(']');
        } else {
            String name = value.getClass().getName();
            throw new IllegalStateException("the answer holds a " + name + ", not a JSON value");
        }
    }

    static void writeString(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c == '\n') out.append("\\n");
            else if (c == '\r') out.append("\\r");
            else if (c == '\t') out.append("\\t");
            else if (c < 0x20 || c > 0x7e) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        out.append('"');
    }
}
"""

_LIST_CODE = r"""
final class PeerPrepLists {
    static ListNode decode(Object value) {
        java.util.List<?> items = PeerPrepJson.list(value);
        ListNode head = null;
        for (int i = items.size() - 1; i >= 0; i--) {
            ListNode node = new ListNode(PeerPrepJson.toInt(items.get(i)));
            node.next = head;
            head = node;
        }
        return head;
    }

    static ListNode[] decodeAll(Object value) {
        java.util.List<?> items = PeerPrepJson.list(value);
        ListNode[] out = new ListNode[items.size()];
        for (int i = 0; i < out.length; i++) out[i] = decode(items.get(i));
        return out;
    }

    static void write(StringBuilder out, ListNode head) {
        out.append('[');
        int count = 0;
        for (ListNode node = head; node != null; node = node.next) {
            if (++count > PeerPrepMain.MAX_NODES) {
                throw new IllegalStateException("the returned linked list does not end (a cycle?)");
            }
            if (count > 1) out.append(',');
            out.append(node.val);
        }
        out.append(']');
    }

    static void writeAll(StringBuilder out, Object lists) {
        out.append('[');
        boolean first = true;
        Iterable<?> items = lists instanceof Object[]
            ? java.util.Arrays.asList((Object[]) lists) : (Iterable<?>) lists;
        for (Object item : items) {
            if (!first) out.append(',');
            first = false;
            write(out, (ListNode) item);
        }
        out.append(']');
    }
}
"""

_TREE_CODE = r"""
final class PeerPrepTrees {
    static TreeNode decode(Object value) {
        java.util.List<?> items = PeerPrepJson.list(value);
        if (items.isEmpty()) return null;
        TreeNode[] nodes = new TreeNode[items.size()];
        for (int i = 0; i < nodes.length; i++) {
            if (items.get(i) != null) nodes[i] = new TreeNode(PeerPrepJson.toInt(items.get(i)));
        }
        int child = 1;
        for (TreeNode node : nodes) {
            if (node == null) continue;
            node.left = child < nodes.length ? nodes[child] : null;
            node.right = child + 1 < nodes.length ? nodes[child + 1] : null;
            child += 2;
        }
        return nodes[0];
    }

    static void write(StringBuilder out, TreeNode root) {
        java.util.ArrayList<TreeNode> queue = new java.util.ArrayList<>();
        queue.add(root);
        for (int i = 0; i < queue.size(); i++) {
            if (queue.size() > 2 * PeerPrepMain.MAX_NODES) {
                throw new IllegalStateException("the returned tree does not end (a cycle?)");
            }
            TreeNode node = queue.get(i);
            if (node != null) {
                queue.add(node.left);
                queue.add(node.right);
            }
        }
        int end = queue.size();
        while (end > 0 && queue.get(end - 1) == null) end--;
        out.append('[');
        for (int i = 0; i < end; i++) {
            if (i > 0) out.append(',');
            TreeNode node = queue.get(i);
            if (node == null) out.append("null");
            else out.append(node.val);
        }
        out.append(']');
    }
}
"""

_MAIN = r"""
public class PeerPrepMain {
    static final int MAX_NODES = 1000000;

    public static void main(String[] args) throws Exception {
        // A thread of its own gives deep recursion a larger stack.
        Thread thread = new Thread(null, () -> {
            try {
                byte[] input = System.in.readAllBytes();
                String text = new String(input, java.nio.charset.StandardCharsets.UTF_8);
                String answer = answer(PeerPrepJson.list(PeerPrepJson.parse(text)));
                System.out.flush();
                System.out.print("\n" + __PP_MARK__ + answer + "\n");
                System.out.flush();
            } catch (Throwable error) {
                System.out.flush();
                error.printStackTrace();
                System.exit(1);
            }
        }, "main", 32L << 20);
        thread.start();
        thread.join();
    }

    static String answer(java.util.List<?> args) throws Exception {
        StringBuilder out = new StringBuilder();
__PP_BODY__
        return out.toString();
    }
}
"""

_JAVA_TYPES = {
    "int": "int",
    "long": "long",
    "double": "double",
    "bool": "boolean",
    "string": "String",
    "int[]": "int[]",
    "int[][]": "int[][]",
    "string[]": "String[]",
    "string[][]": "String[][]",
    "char[][]": "char[][]",
    "ListNode": "ListNode",
    "ListNode[]": "ListNode[]",
    "TreeNode": "TreeNode",
    "void": "void",
}
# What users expect a method to return (the driver takes arrays and Lists alike).
_RETURN_TYPES = {
    **_JAVA_TYPES,
    "int[][]": "List<List<Integer>>",
    "string[]": "List<String>",
    "string[][]": "List<List<String>>",
}
_DECODERS = {
    "int": "PeerPrepJson.toInt",
    "long": "PeerPrepJson.toLong",
    "double": "PeerPrepJson.toDouble",
    "bool": "PeerPrepJson.toBool",
    "string": "PeerPrepJson.toStr",
    "int[]": "PeerPrepJson.toIntArray",
    "int[][]": "PeerPrepJson.toIntGrid",
    "string[]": "PeerPrepJson.toStrArray",
    "string[][]": "PeerPrepJson.toStrGrid",
    "char[][]": "PeerPrepJson.toCharGrid",
    "ListNode": "PeerPrepLists.decode",
    "ListNode[]": "PeerPrepLists.decodeAll",
    "TreeNode": "PeerPrepTrees.decode",
}


def _write(kind: str, value: str) -> str:
    """Return the statement that appends ``value`` (of signature type ``kind``) to ``out``."""
    if kind == "ListNode":
        return f"PeerPrepLists.write(out, (ListNode) {value});"
    if kind == "ListNode[]":
        return f"PeerPrepLists.writeAll(out, {value});"
    if kind == "TreeNode":
        return f"PeerPrepTrees.write(out, (TreeNode) {value});"
    if kind == "void":
        return 'out.append("null");'
    return f"PeerPrepJson.write(out, {value});"


def _arguments(
    params: list[Param], items: str, prefix: str, indent: str, first: int = 0
) -> tuple[list[str], str]:
    """Return the lines declaring each argument, read from the list ``items`` from ``first`` on,
    and the arguments of the call."""
    lines, names = [], []
    for index, param in enumerate(params):
        name = f"{prefix}{index}"
        lines.append(
            f"{indent}{_JAVA_TYPES[param.type]} {name} = "
            f"{_DECODERS[param.type]}({items}.get({first + index}));"
        )
        names.append(name)
    return lines, ", ".join(names)


def _result(kind: str, invoke: str, indent: str) -> list[str]:
    if kind == "void":
        return [f"{indent}{invoke};", f"{indent}{_write('void', '')}"]
    return [f"{indent}Object result = {invoke};", f"{indent}{_write(kind, 'result')}"]


def _body(signature: Signature) -> list[str]:
    indent = " " * 8
    if isinstance(signature, FunctionSignature):
        lines, names = _arguments(signature.params, "args", "arg", indent)
        invoke = f"new Solution().{signature.function}({names})"
        if signature.mutates is None:
            return lines + _result(signature.returns, invoke, indent)
        index = [param.name for param in signature.params].index(signature.mutates)
        kind = signature.params[index].type
        return [*lines, f"{indent}{invoke};", f"{indent}{_write(kind, f'arg{index}')}"]
    if isinstance(signature, CodecSignature):
        kind = signature.type
        name = signature.class_name
        return [
            f"{indent}{_JAVA_TYPES[kind]} value = {_DECODERS[kind]}(args.get(0));",
            f"{indent}String data = new {name}().serialize(value);",
            *_result(kind, f"new {name}().deserialize(data)", indent),
        ]
    name = signature.class_name
    lines = [f"{indent}java.util.List<?> init = PeerPrepJson.list(args.get(0));"]
    more, names = _arguments(signature.constructor, "init", "init", indent)
    lines += [*more, f"{indent}{name} instance = new {name}({names});"]
    lines += [
        f"{indent}java.util.List<?> calls = PeerPrepJson.list(args.get(1));",
        f"{indent}out.append('[');",
        f"{indent}for (int index = 0; index < calls.size(); index++) {{",
        f"{indent}    if (index > 0) out.append(',');",
        f"{indent}    java.util.List<?> call = PeerPrepJson.list(calls.get(index));",
        f"{indent}    switch (PeerPrepJson.toStr(call.get(0))) {{",
    ]
    inner = indent + " " * 12
    for method in signature.methods:
        more, names = _arguments(method.params, "call", "call", inner, first=1)
        lines += [f'{indent}        case "{method.name}": {{', *more]
        lines += _result(method.returns, f"instance.{method.name}({names})", inner)
        lines += [f"{inner}break;", f"{indent}        }}"]
    lines += [
        f'{indent}        default: throw new IllegalArgumentException("no such method");',
        f"{indent}    }}",
        f"{indent}}}",
        f"{indent}out.append(']');",
    ]
    return lines


def program(signature: Signature, source: str, mark: str) -> str:
    """Return the user's source (its types made non-public) followed by the driver."""
    types = " ".join(used_types(signature))
    user = _PUBLIC_TYPE.sub("", _PACKAGE.sub("", source))
    parts = [
        user.rstrip("\n"),
        "\n\n// ---- PeerPrep judge: reads a test from stdin, prints the answer ----",
    ]
    parts.append(
        _MAIN.replace("__PP_MARK__", json.dumps(mark)).replace(
            "__PP_BODY__", "\n".join(_body(signature))
        )
    )
    parts.append(_JSON)
    if "ListNode" in types:
        parts.append(_LIST_CODE)
    if "TreeNode" in types:
        parts.append(_TREE_CODE)
    return "".join(parts)


_LIST_NODE = """class ListNode {
    int val;
    ListNode next;

    ListNode() {}
    ListNode(int val) { this.val = val; }
    ListNode(int val, ListNode next) { this.val = val; this.next = next; }
}
"""
_TREE_NODE = """class TreeNode {
    int val;
    TreeNode left;
    TreeNode right;

    TreeNode() {}
    TreeNode(int val) { this.val = val; }
    TreeNode(int val, TreeNode left, TreeNode right) { this.val = val; this.left = left; this.right = right; }
}
"""  # noqa: E501 - as in the bank's starters
_BODY = "        // your code here"


def _params(params: list[Param]) -> str:
    return ", ".join(f"{_JAVA_TYPES[param.type]} {param.name}" for param in params)


def starter(signature: Signature) -> str:
    """Return the starter code that follows the signature."""
    parts = []
    if isinstance(signature, FunctionSignature):
        returns = [signature.returns]
        lines = [
            "class Solution {",
            f"    public {_RETURN_TYPES[signature.returns]} {signature.function}"
            f"({_params(signature.params)}) {{",
            _BODY,
            "    }",
            "}",
        ]
    elif isinstance(signature, DesignSignature):
        returns = [method.returns for method in signature.methods]
        name = signature.class_name
        lines = [f"class {name} {{", "", f"    public {name}({_params(signature.constructor)}) {{"]
        lines += [_BODY, "    }"]
        for method in signature.methods:
            lines += [
                "",
                f"    public {_RETURN_TYPES[method.returns]} {method.name}"
                f"({_params(method.params)}) {{",
                _BODY,
                "    }",
            ]
        lines.append("}")
    else:
        returns = [signature.type]
        kind = _JAVA_TYPES[signature.type]
        value = "root" if signature.type == "TreeNode" else "value"
        lines = [
            f"class {signature.class_name} {{",
            "",
            f"    public {signature.class_name}() {{",
            _BODY,
            "    }",
            "",
            f"    public String serialize({kind} {value}) {{",
            _BODY,
            "    }",
            "",
            f"    public {kind} deserialize(String data) {{",
            _BODY,
            "    }",
            "}",
        ]
    if any("List<" in _RETURN_TYPES[kind] for kind in returns):
        parts.append("import java.util.*;\n\n")
    types = " ".join(used_types(signature))
    if "ListNode" in types:
        parts.append(_LIST_NODE + "\n")
    if "TreeNode" in types:
        parts.append(_TREE_NODE + "\n")
    parts.append("\n".join(lines) + "\n")
    return "".join(parts)
