class Solution:
    def longest_distinct_stretch(self, s: str) -> int:
        last_seen: dict[str, int] = {}
        best = start = 0
        for index, char in enumerate(s):
            if last_seen.get(char, -1) >= start:
                start = last_seen[char] + 1
            last_seen[char] = index
            best = max(best, index - start + 1)
        return best
