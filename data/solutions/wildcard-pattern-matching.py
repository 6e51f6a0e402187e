class Solution:
    def wildcard_match(self, s: str, p: str) -> bool:
        # Greedy: let the latest '*' absorb as little as possible, and widen it on a mismatch.
        i = j = 0
        star = -1
        mark = 0
        while i < len(s):
            if j < len(p) and (p[j] == "?" or p[j] == s[i]):
                i += 1
                j += 1
            elif j < len(p) and p[j] == "*":
                star = j
                mark = i
                j += 1
            elif star >= 0:
                mark += 1
                i = mark
                j = star + 1
            else:
                return False
        while j < len(p) and p[j] == "*":
            j += 1
        return j == len(p)
