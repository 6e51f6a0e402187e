class Solution:
    def min_palindrome_cuts(self, s: str) -> int:
        n = len(s)
        # cuts[i]: fewest cuts for s[:i]; cuts[0] = -1 so a whole palindrome needs 0.
        cuts = list(range(-1, n))
        for center in range(n):
            for left, right in ((center, center), (center, center + 1)):
                while left >= 0 and right < n and s[left] == s[right]:
                    if cuts[left] + 1 < cuts[right + 1]:
                        cuts[right + 1] = cuts[left] + 1
                    left -= 1
                    right += 1
        return cuts[n]
