from typing import List


class Solution:
    def group_rearrangements(self, words: List[str]) -> List[List[str]]:
        # dicts keep insertion order: groups come in the order of their first word.
        groups: dict[str, List[str]] = {}
        for word in words:
            groups.setdefault("".join(sorted(word)), []).append(word)
        return list(groups.values())
