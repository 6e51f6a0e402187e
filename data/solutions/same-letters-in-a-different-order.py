from collections import Counter


class Solution:
    def are_rearrangements(self, a: str, b: str) -> bool:
        return len(a) == len(b) and Counter(a) == Counter(b)
