from typing import List


class Solution:
    def can_segment(self, s: str, words: List[str]) -> bool:
        dictionary = set(words)
        lengths = sorted({len(word) for word in words})
        # reachable[i]: the prefix s[:i] can be cut into dictionary words.
        reachable = [False] * (len(s) + 1)
        reachable[0] = True
        for end in range(1, len(s) + 1):
            for length in lengths:
                if length > end:
                    break
                if reachable[end - length] and s[end - length : end] in dictionary:
                    reachable[end] = True
                    break
        return reachable[len(s)]
