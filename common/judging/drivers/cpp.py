"""The C++ driver: reads one test's arguments as JSON on stdin and prints the answer.

The user's code comes first, as written (with or without ``#include <bits/stdc++.h>`` and
``using namespace std;``); the driver follows with its own includes, names everything with
``std::`` and keeps its helpers in ``namespace peerprep_judge``. A user's own ``main`` is a
compile error (a redefinition). Arguments are lvalues, so a method may take them by value, by
reference or by const reference; its result is taken with ``auto`` and written by overloads for
numbers, ``bool``, ``char``, ``std::string``, ``std::vector`` and the node pointers.
"""

from __future__ import annotations

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

_HEAD = r"""
// ---- PeerPrep judge: reads a test from stdin, prints the answer ----
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace peerprep_judge {

const std::size_t MAX_NODES = 1000000;

struct Value {
    enum Kind { NUL, BOOL, INT, REAL, STR, ARR } kind = NUL;
    bool flag = false;
    long long whole = 0;
    double real = 0;
    std::string text;
    std::vector<Value> items;
};

struct Reader {
    const std::string& in;
    std::size_t at = 0;

    explicit Reader(const std::string& text) : in(text) {}

    [[noreturn]] void fail() const {
        throw std::runtime_error("bad JSON input at offset " + std::to_string(at));
    }
    void space() {
        while (at < in.size() && std::string(" \t\r\n").find(in[at]) != std::string::npos) at++;
    }
    bool word(const char* w) {
        std::size_t n = std::char_traits<char>::length(w);
        if (in.compare(at, n, w) != 0) return false;
        at += n;
        return true;
    }
    unsigned hex4() {
        if (at + 4 > in.size()) fail();
        unsigned code = 0;
        for (int k = 0; k < 4; k++) {
            char c = in[at++];
            code <<= 4;
            if (c >= '0' && c <= '9') code |= c - '0';
            else if (c >= 'a' && c <= 'f') code |= c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') code |= c - 'A' + 10;
            else fail();
        }
        return code;
    }
    static void utf8(std::string& out, unsigned code) {
        if (code < 0x80) {
            out += static_cast<char>(code);
        } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (code >> 18));
            out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        }
    }
    std::string string() {
        std::string out;
        at++;
        while (true) {
            if (at >= in.size()) fail();
            char c = in[at++];
            if (c == '"') return out;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (at >= in.size()) fail();
            char e = in[at++];
            switch (e) {
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    unsigned code = hex4();
                    if (code >= 0xD800 && code < 0xDC00 && in.compare(at, 2, "\\u") == 0) {
                        std::size_t back = at;
                        at += 2;
                        unsigned low = hex4();
                        if (low >= 0xDC00 && low < 0xE000) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                        } else {
                            at = back;
                        }
                    }
                    utf8(out, code);
                    break;
                }
                default: out += e;
            }
        }
    }
    Value value() {
        space();
        if (at >= in.size()) fail();
        Value v;
        char c = in[at];
        if (c == '[') {
            at++;
            v.kind = Value::ARR;
            space();
            if (word("]")) return v;
            while (true) {
                v.items.push_back(value());
                space();
                if (word("]")) return v;
                if (!word(",")) fail();
            }
        }
        if (c == '"') {
            v.kind = Value::STR;
            v.text = string();
            return v;
        }
        if (word("null")) return v;
        if (word("true")) {
            v.kind = Value::BOOL;
            v.flag = true;
            return v;
        }
        if (word("false")) {
            v.kind = Value::BOOL;
            return v;
        }
        std::size_t start = at;
        bool whole = true;
        if (at < in.size() && in[at] == '-') at++;
        while (at < in.size() && std::string("+-0123456789.eE").find(in[at]) != std::string::npos) {
            if (in[at] < '0' || in[at] > '9') whole = false;
            at++;
        }
        std::string number = in.substr(start, at - start);
        char* end = nullptr;
        errno = 0;
        if (whole) {
            v.kind = Value::INT;
            v.whole = std::strtoll(number.c_str(), &end, 10);
            v.real = static_cast<double>(v.whole);
        } else {
            v.kind = Value::REAL;
            v.real = std::strtod(number.c_str(), &end);
        }
        // strtod's ERANGE on a tiny number is fine: it gives the nearest double.
        bool overflow = errno == ERANGE && (whole || std::fabs(v.real) > 1);
        if (number.empty() || end != number.c_str() + number.size() || overflow) {
            at = start;
            fail();
        }
        return v;
    }
};

inline Value parse(const std::string& text) {
    Reader reader(text);
    Value v = reader.value();
    reader.space();
    if (reader.at != text.size()) reader.fail();
    return v;
}

// ---- from JSON values to C++'s ----

inline const std::vector<Value>& items(const Value& v) {
    if (v.kind != Value::ARR) throw std::runtime_error("expected a list");
    return v.items;
}
inline void load(const Value& v, int& out) {
    if (v.kind != Value::INT) throw std::runtime_error("expected an integer");
    out = static_cast<int>(v.whole);
}
inline void load(const Value& v, long long& out) {
    if (v.kind != Value::INT) throw std::runtime_error("expected an integer");
    out = v.whole;
}
inline void load(const Value& v, double& out) {
    if (v.kind != Value::INT && v.kind != Value::REAL) throw std::runtime_error("not a number");
    out = v.real;
}
inline void load(const Value& v, bool& out) {
    if (v.kind != Value::BOOL) throw std::runtime_error("expected true or false");
    out = v.flag;
}
inline void load(const Value& v, std::string& out) {
    if (v.kind != Value::STR) throw std::runtime_error("expected a string");
    out = v.text;
}
inline void load(const Value& v, char& out) {
    if (v.kind != Value::STR || v.text.size() != 1) throw std::runtime_error("not a character");
    out = v.text[0];
}

// ---- from C++'s values to JSON ----

template <class T>
typename std::enable_if<std::is_integral<T>::value && !std::is_same<T, bool>::value
                        && !std::is_same<T, char>::value>::type
put(std::string& out, T value) {
    out += std::to_string(value);
}
// A template, so that a pointer without an overload of its own is an error, not a bool.
template <class T>
typename std::enable_if<std::is_same<T, bool>::value>::type put(std::string& out, T value) {
    out += value ? "true" : "false";
}
inline void put(std::string& out, double value) {
    if (!std::isfinite(value)) throw std::runtime_error("the answer holds nan or inf");
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", value);
    out += text;
}
inline void put(std::string& out, float value) { put(out, static_cast<double>(value)); }
inline void put(std::string& out, long double value) { put(out, static_cast<double>(value)); }
inline void put(std::string& out, const std::string& value) {
    static const char* hex = "0123456789abcdef";
    out += '"';
    for (unsigned char c : value) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
}
inline void put(std::string& out, const char* value) { put(out, std::string(value)); }
inline void put(std::string& out, char value) { put(out, std::string(1, value)); }
"""

_LIST_CODE = r"""
inline void load(const Value& v, ListNode*& out) {
    ListNode* head = nullptr;
    const std::vector<Value>& values = items(v);
    for (std::size_t k = values.size(); k-- > 0;) {
        int val;
        load(values[k], val);
        ListNode* node = new ListNode(val);
        node->val = val;
        node->next = head;
        head = node;
    }
    out = head;
}
inline void put(std::string& out, ListNode* head) {
    out += '[';
    std::size_t count = 0;
    for (ListNode* node = head; node != nullptr; node = node->next) {
        if (++count > MAX_NODES) throw std::runtime_error("the list does not end (a cycle?)");
        if (count > 1) out += ',';
        put(out, node->val);
    }
    out += ']';
}
"""

_TREE_CODE = r"""
inline void load(const Value& v, TreeNode*& out) {
    const std::vector<Value>& values = items(v);
    std::vector<TreeNode*> nodes(values.size(), nullptr);
    for (std::size_t k = 0; k < values.size(); k++) {
        if (values[k].kind == Value::NUL) continue;
        int val;
        load(values[k], val);
        nodes[k] = new TreeNode(val);
        nodes[k]->val = val;
    }
    std::size_t child = 1;
    for (TreeNode* node : nodes) {
        if (node == nullptr) continue;
        node->left = child < nodes.size() ? nodes[child] : nullptr;
        node->right = child + 1 < nodes.size() ? nodes[child + 1] : nullptr;
        child += 2;
    }
    out = nodes.empty() ? nullptr : nodes[0];
}
inline void put(std::string& out, TreeNode* root) {
    std::vector<TreeNode*> queue(1, root);
    for (std::size_t k = 0; k < queue.size(); k++) {
        if (queue.size() > 2 * MAX_NODES) {
            throw std::runtime_error("the returned tree does not end (a cycle?)");
        }
        if (queue[k] != nullptr) {
            queue.push_back(queue[k]->left);
            queue.push_back(queue[k]->right);
        }
    }
    std::size_t end = queue.size();
    while (end > 0 && queue[end - 1] == nullptr) end--;
    out += '[';
    for (std::size_t k = 0; k < end; k++) {
        if (k > 0) out += ',';
        if (queue[k] == nullptr) out += "null";
        else put(out, queue[k]->val);
    }
    out += ']';
}
"""

_TAIL = r"""
template <class T>
void load(const Value& v, std::vector<T>& out) {
    const std::vector<Value>& values = items(v);
    out.resize(values.size());
    for (std::size_t k = 0; k < values.size(); k++) {
        T item;
        load(values[k], item);
        out[k] = item;
    }
}
template <class T, class A>
void put(std::string& out, const std::vector<T, A>& values) {
    out += '[';
    bool first = true;
    for (const auto& item : values) {
        if (!first) out += ',';
        first = false;
        put(out, item);
    }
    out += ']';
}

std::string answer(const Value& args) {
    const std::vector<Value>& arg = items(args);
    std::string out;
__PP_BODY__
    return out;
}

}  // namespace peerprep_judge

int main() {
    try {
        std::istreambuf_iterator<char> begin(std::cin), end;
        std::string answer = peerprep_judge::answer(peerprep_judge::parse(std::string(begin, end)));
        std::string text = "\n" __PP_MARK__ + answer + "\n";
        std::cout.flush();
        std::fflush(stdout);
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
    } catch (const std::exception& error) {
        std::cout.flush();
        std::fflush(stdout);
        std::fprintf(stderr, "%s\n", error.what());
        return 1;
    }
    return 0;
}
"""

_CPP_TYPES = {
    "int": "int",
    "long": "long long",
    "double": "double",
    "bool": "bool",
    "string": "string",
    "int[]": "vector<int>",
    "int[][]": "vector<vector<int>>",
    "string[]": "vector<string>",
    "string[][]": "vector<vector<string>>",
    "char[][]": "vector<vector<char>>",
    "ListNode": "ListNode*",
    "ListNode[]": "vector<ListNode*>",
    "TreeNode": "TreeNode*",
    "void": "void",
}


def _qualified(kind: str) -> str:
    """Return the driver's spelling of a type: with ``std::``."""
    text = _CPP_TYPES[kind]
    return text.replace("vector<", "std::vector<").replace("string", "std::string")


def _literal(text: str) -> str:
    """Return a C++ string literal of ``text`` (octal escapes: never read past their end)."""
    return (
        '"'
        + "".join(
            chr(byte) if chr(byte).isalnum() or chr(byte) in " @#_-:=" else f"\\{byte:03o}"
            for byte in text.encode()
        )
        + '"'
    )


def _arguments(
    params: list[Param], items: str, prefix: str, indent: str, first: int = 0
) -> tuple[list[str], str]:
    lines, names = [], []
    for index, param in enumerate(params):
        name = f"{prefix}{index}"
        lines.append(f"{indent}{_qualified(param.type)} {name}{{}};")
        lines.append(f"{indent}load({items}.at({first + index}), {name});")
        names.append(name)
    return lines, ", ".join(names)


def _result(kind: str, invoke: str, indent: str) -> list[str]:
    if kind == "void":
        return [f"{indent}{invoke};", f'{indent}out += "null";']
    return [f"{indent}auto result = {invoke};", f"{indent}put(out, result);"]


def _body(signature: Signature) -> list[str]:
    indent = " " * 4
    if isinstance(signature, FunctionSignature):
        lines, names = _arguments(signature.params, "arg", "arg", indent)
        lines.append(f"{indent}::Solution* solution = new ::Solution();")
        invoke = f"solution->{signature.function}({names})"
        if signature.mutates is None:
            return lines + _result(signature.returns, invoke, indent)
        index = [param.name for param in signature.params].index(signature.mutates)
        return [*lines, f"{indent}{invoke};", f"{indent}put(out, arg{index});"]
    if isinstance(signature, CodecSignature):
        name = signature.class_name
        return [
            f"{indent}{_qualified(signature.type)} value{{}};",
            f"{indent}load(arg.at(0), value);",
            f"{indent}std::string data = (new ::{name}())->serialize(value);",
            f"{indent}auto result = (new ::{name}())->deserialize(data);",
            f"{indent}put(out, result);",
        ]
    name = signature.class_name
    lines = [f"{indent}const std::vector<Value>& init = items(arg.at(0));"]
    more, names = _arguments(signature.constructor, "init", "init", indent)
    lines += [*more, f"{indent}::{name}* instance = new ::{name}({names});"]
    lines += [
        f"{indent}const std::vector<Value>& calls = items(arg.at(1));",
        f"{indent}out += '[';",
        f"{indent}for (std::size_t index = 0; index < calls.size(); index++) {{",
        f"{indent}    if (index > 0) out += ',';",
        f"{indent}    const std::vector<Value>& call = items(calls[index]);",
        f"{indent}    std::string method;",
        f"{indent}    load(call.at(0), method);",
    ]
    inner = indent + " " * 8
    keyword = "if"
    for method in signature.methods:
        more, names = _arguments(method.params, "call", "call", inner, first=1)
        lines += [f'{indent}    {keyword} (method == "{method.name}") {{', *more]
        lines += _result(method.returns, f"instance->{method.name}({names})", inner)
        keyword = "} else if"
    lines += [
        f"{indent}    }} else {{",
        f'{indent}        throw std::runtime_error("no such method: " + method);',
        f"{indent}    }}",
        f"{indent}}}",
        f"{indent}out += ']';",
    ]
    return lines


def program(signature: Signature, source: str, mark: str) -> str:
    """Return the user's source followed by the driver for this signature."""
    types = " ".join(used_types(signature))
    parts = [source.rstrip("\n"), "\n", _HEAD]
    if "ListNode" in types:
        parts.append(_LIST_CODE)
    if "TreeNode" in types:
        parts.append(_TREE_CODE)
    parts.append(
        _TAIL.replace("__PP_BODY__", "\n".join(_body(signature))).replace(
            "__PP_MARK__", _literal(mark)
        )
    )
    return "".join(parts)


_LIST_NODE = """struct ListNode {
    int val;
    ListNode* next;
    ListNode(int x = 0, ListNode* n = nullptr) : val(x), next(n) {}
};
"""
_TREE_NODE = """struct TreeNode {
    int val;
    TreeNode* left;
    TreeNode* right;
    TreeNode(int x = 0, TreeNode* l = nullptr, TreeNode* r = nullptr) : val(x), left(l), right(r) {}
};
"""
_BODY = "        // your code here"


def _param(param: Param) -> str:
    kind = _CPP_TYPES[param.type]
    return f"{kind}{'&' if kind.startswith('vector') else ''} {param.name}"


def _params(params: list[Param]) -> str:
    return ", ".join(_param(param) for param in params)


def starter(signature: Signature) -> str:
    """Return the starter code that follows the signature."""
    if isinstance(signature, FunctionSignature):
        lines = [
            "class Solution {",
            "public:",
            f"    {_CPP_TYPES[signature.returns]} {signature.function}"
            f"({_params(signature.params)}) {{",
            _BODY,
            "    }",
            "};",
        ]
    elif isinstance(signature, DesignSignature):
        name = signature.class_name
        lines = [f"class {name} {{", "public:", f"    {name}({_params(signature.constructor)}) {{"]
        lines += [_BODY, "    }"]
        for method in signature.methods:
            lines += [
                "",
                f"    {_CPP_TYPES[method.returns]} {method.name}({_params(method.params)}) {{",
                _BODY,
                "    }",
            ]
        lines.append("};")
    else:
        name = signature.class_name
        value = _param(
            Param(name="root" if signature.type == "TreeNode" else "value", type=signature.type)
        )
        lines = [
            f"class {name} {{",
            "public:",
            f"    {name}() {{",
            _BODY,
            "    }",
            "",
            f"    string serialize({value}) {{",
            _BODY,
            "    }",
            "",
            f"    {_CPP_TYPES[signature.type]} deserialize(string data) {{",
            _BODY,
            "    }",
            "};",
        ]
    code = "\n".join(lines) + "\n"
    types = used_types(signature)
    includes = [
        f"#include <{header}>\n"
        for header in ("vector", "string")
        if header in code or any(header in _CPP_TYPES[kind] for kind in types)
    ]
    head = "".join(includes) + ("using namespace std;\n\n" if includes else "")
    nodes = " ".join(types)
    if "ListNode" in nodes:
        head += _LIST_NODE + "\n"
    if "TreeNode" in nodes:
        head += _TREE_NODE + "\n"
    return head + code
