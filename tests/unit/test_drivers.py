"""The drivers without compilers: starters follow signatures, programs wrap the user's code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from common.judging import drivers
from common.judging.drivers import cpp, java
from common.judging.signature import Signature, snake_case
from common.questions import slugify
from runner.languages import java_class_name

ROOT = Path(__file__).resolve().parents[2]
MARK = '@@pp"\\mark@@'
EXTENSIONS = {"python": "py", "javascript": "js", "java": "java", "cpp": "cpp"}


def _sig(data: dict[str, Any]) -> Signature:
    signature: Signature = TypeAdapter(Signature).validate_python({"kind": "function", **data})
    return signature


def _params(*pairs: str) -> list[dict[str, str]]:
    return [{"name": pair.split(":")[0], "type": pair.split(":")[1]} for pair in pairs]


# The covering set: each kind, every value type. The bank's judging data wins where it exists.
COVERING: dict[str, dict[str, Any]] = {
    "pair-with-target-sum": {
        "function": "pairWithTargetSum",
        "params": _params("nums:int[]", "target:int"),
        "returns": "int[]",
    },
    "palindrome-after-removing-symbols": {
        "function": "isCleanPalindrome",
        "params": _params("s:string"),
        "returns": "bool",
    },
    "merge-two-sorted-linked-lists": {
        "function": "mergeSortedLists",
        "params": _params("a:ListNode", "b:ListNode"),
        "returns": "ListNode",
    },
    "mirror-a-binary-tree": {
        "function": "mirrorTree",
        "params": _params("root:TreeNode"),
        "returns": "TreeNode",
    },
    "average-of-the-latest-readings": {
        "kind": "design",
        "className": "MovingAverage",
        "constructor": _params("size:int"),
        "methods": [{"name": "next", "params": _params("val:int"), "returns": "double"}],
        "compare": "float",
    },
    "fixed-capacity-lru-cache": {
        "kind": "design",
        "className": "LRUCache",
        "constructor": _params("capacity:int"),
        "methods": [
            {"name": "get", "params": _params("key:int"), "returns": "int"},
            {"name": "put", "params": _params("key:int", "value:int"), "returns": "void"},
        ],
    },
    "group-words-by-their-letters": {
        "function": "groupRearrangements",
        "params": _params("words:string[]"),
        "returns": "string[][]",
    },
    "count-the-islands": {
        "function": "countIslands",
        "params": _params("grid:char[][]"),
        "returns": "int",
    },
    "rotate-a-square-grid-clockwise": {
        "function": "rotateClockwise",
        "params": _params("matrix:int[][]"),
        "returns": "void",
        "mutates": "matrix",
    },
    "merge-many-sorted-linked-lists": {
        "function": "mergeManyLists",
        "params": _params("lists:ListNode[]"),
        "returns": "ListNode",
    },
    "encode-and-decode-a-binary-tree": {
        "kind": "codec",
        "className": "TreeCodec",
        "type": "TreeNode",
    },
    "find-dictionary-words-in-a-letter-grid": {
        "function": "findWordsInGrid",
        "params": _params("board:char[][]", "words:string[]"),
        "returns": "string[]",
    },
}
# Types the covering set does not reach, in a signature of each kind.
OTHERS = [
    _sig(
        {
            "function": "mixed",
            "params": _params("n:long", "x:double", "rows:string[][]", "flag:bool"),
            "returns": "long",
        }
    ),
    _sig(
        {
            "kind": "design",
            "className": "Book",
            "methods": [
                {"name": "add", "params": _params("words:string[][]"), "returns": "bool"},
                {"name": "all", "returns": "ListNode[]"},
            ],
        }
    ),
    _sig({"kind": "codec", "className": "WordCodec", "type": "string[]"}),
]


def _covering(slug: str) -> Signature:
    path = ROOT / "data" / "judging" / f"{slug}.json"
    if path.is_file():
        return _sig(json.loads(path.read_text())["signature"])
    return _sig(COVERING[slug])


def _all_signatures() -> list[Signature]:
    return [_covering(slug) for slug in COVERING] + OTHERS


def _names(signature: Signature, language: str) -> list[str]:
    """Return the names a starter must spell: the function or class, methods and parameters."""
    method = snake_case if language == "python" else str
    if signature.kind == "function":
        return [method(signature.function)] + [param.name for param in signature.params]
    if signature.kind == "codec":
        return [signature.class_name, "serialize", "deserialize", "data"]
    names = [signature.class_name] + [param.name for param in signature.constructor]
    for item in signature.methods:
        names += [method(item.name)] + [param.name for param in item.params]
    return names


@pytest.mark.parametrize("language", drivers.LANGUAGES)
def test_starters_name_the_signature_and_define_the_nodes_they_use(language: str) -> None:
    for signature in _all_signatures():
        code = drivers.starter(language, signature)
        for name in _names(signature, language):
            assert re.search(rf"\b{name}\b", code), (language, name, code)
        text = signature.model_dump_json()
        for node in ("ListNode", "TreeNode"):
            declared = re.search(rf"\b(class|struct) {node}\b", code) is not None
            assert declared == (node in text), (language, node, code)


@pytest.mark.parametrize("language", ["javascript", "java", "cpp"])
def test_starters_follow_the_conventions_of_each_language(language: str) -> None:
    pair = drivers.starter(language, _covering("pair-with-target-sum"))
    cache = drivers.starter(language, _covering("fixed-capacity-lru-cache"))
    words = drivers.starter(language, _covering("find-dictionary-words-in-a-letter-grid"))
    if language == "javascript":
        assert "function pairWithTargetSum(nums, target) {" in pair
        assert "class LRUCache {" in cache and "  put(key, value) {" in cache
        assert "@param {string[][]} board" in words
    elif language == "java":
        assert "class Solution {" in pair and "public class" not in pair
        assert "public int[] pairWithTargetSum(int[] nums, int target) {" in pair
        assert "public void put(int key, int value) {" in cache
        assert words.startswith("import java.util.*;")
        assert "public List<String> findWordsInGrid(char[][] board, String[] words) {" in words
    else:
        assert "#include <vector>\nusing namespace std;" in pair
        assert "vector<int> pairWithTargetSum(vector<int>& nums, int target) {" in pair
        assert "class LRUCache {\npublic:" in cache and "#include" not in cache
        assert "(vector<vector<char>>& board, vector<string>& words)" in words
    assert "// your code here" in pair


@pytest.mark.parametrize("slug", sorted(COVERING))
def test_starters_reproduce_the_banks_starter_code(slug: str) -> None:
    questions = json.loads((ROOT / "data" / "questions.json").read_text())
    question = next(q for q in questions if slugify(q["title"]) == slug)
    for language in drivers.LANGUAGES:
        expected = question["starterCode"][language].strip()
        assert drivers.starter(language, _covering(slug)).strip() == expected, language


@pytest.mark.parametrize("slug", sorted(COVERING))
def test_the_references_follow_the_starters(slug: str) -> None:
    """Each reference declares what its starter declares (each declaration, verbatim)."""
    signature = _covering(slug)
    for language in ("javascript", "java", "cpp"):
        path = ROOT / "data" / "solutions" / f"{slug}.{EXTENSIONS[language]}"
        source = path.read_text()
        for line in drivers.starter(language, signature).splitlines():
            if re.search(r"\w\(.*\) \{$", line):
                assert line.strip().removesuffix("{").strip() in source, (path.name, line)


@pytest.mark.parametrize("language", drivers.LANGUAGES)
def test_a_program_is_the_source_then_the_driver(language: str) -> None:
    source = "// the user's code\n" if language != "python" else "# the user's code\n"
    for signature in _all_signatures():
        program = drivers.program(language, signature, source, MARK)
        assert program.startswith(source)
        assert len(program) > len(source) + 500


def test_the_mark_is_quoted_for_each_language() -> None:
    signature = _covering("pair-with-target-sum")
    for language in ("python", "javascript", "java"):
        program = drivers.program(language, signature, "", MARK)
        assert json.dumps(MARK) in program or repr(MARK) in program, language
    program = drivers.program("cpp", signature, "", MARK)
    literal = re.search(r'"\\n" ("[^"]*")', program)
    assert literal is not None
    decoded = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), literal.group(1)[1:-1])
    assert decoded == MARK


def test_java_programs_launch_the_drivers_class_whatever_the_user_declares() -> None:
    signature = _covering("pair-with-target-sum")
    source = (
        "package mine;\n\nimport java.util.*;\n\n"
        "public final class Solution {\n"
        "    public static class Helper {}\n"
        "    public int[] pairWithTargetSum(int[] nums, int target) { return nums; }\n"
        "    public static void main(String[] args) {}\n"
        "}\n"
        "public interface Shape {}\n"
    )
    program = java.program(signature, source, MARK)
    assert java_class_name(program) == java.MAIN_CLASS
    user = program[: program.index("// ---- PeerPrep judge")]
    assert "public" not in user.replace("public int[]", "").replace("public static void", "")
    assert "package" not in user
    # Lines keep their numbers, so compile errors point at the user's own lines.
    assert user.splitlines()[4] == "final class Solution {"
    assert program.count("public class ") == 1
    driver = program[len(user) :]
    assert "import " not in driver


def test_java_driver_decodes_each_parameter_to_the_declared_type() -> None:
    program = java.program(OTHERS[0], "", MARK)
    assert "new Solution().mixed(arg0, arg1, arg2, arg3)" in program
    for declared in ("long arg0", "double arg1", "String[][] arg2", "boolean arg3"):
        assert declared in program
    design = java.program(_covering("fixed-capacity-lru-cache"), "", MARK)
    assert "LRUCache instance = new LRUCache(init0);" in design
    assert 'case "put"' in design and 'out.append("null");' in design


def test_cpp_driver_keeps_to_its_namespace_and_calls_with_lvalues() -> None:
    program = cpp.program(_covering("find-dictionary-words-in-a-letter-grid"), "", MARK)
    driver = program[program.index("namespace peerprep_judge") :]
    assert "using namespace" not in driver
    assert "std::vector<std::vector<char>> arg0{};" in program
    assert "solution->findWordsInGrid(arg0, arg1)" in program
    assert "ListNode" not in program and "TreeNode" not in program
    lists = cpp.program(_covering("merge-many-sorted-linked-lists"), "", MARK)
    assert "ListNode*& out" in lists and "TreeNode" not in lists


def test_an_unknown_language_is_refused() -> None:
    signature = _covering("pair-with-target-sum")
    with pytest.raises(ValueError, match="no driver"):
        drivers.program("cobol", signature, "", MARK)
    with pytest.raises(ValueError, match="no driver"):
        drivers.starter("cobol", signature)
