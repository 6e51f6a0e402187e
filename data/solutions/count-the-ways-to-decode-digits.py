class Solution:
    def count_decodings(self, s: str) -> int:
        # before: ways to decode s[:i - 1]; current: ways to decode s[:i].
        before, current = 0, 1
        for index, digit in enumerate(s):
            ways = current if digit != "0" else 0
            if index > 0 and 10 <= int(s[index - 1 : index + 1]) <= 26:
                ways += before
            before, current = current, ways
        return current
