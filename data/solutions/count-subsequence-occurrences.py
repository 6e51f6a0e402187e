class Solution:
    def count_subsequence_ways(self, s: str, t: str) -> int:
        # ways[j]: ways to spell t[:j] from the part of s read so far.
        ways = [1] + [0] * len(t)
        positions = {}
        for j, letter in enumerate(t):
            positions.setdefault(letter, []).append(j)
        for letter in reversed(positions):
            positions[letter].reverse()
        for letter in s:
            for j in positions.get(letter, ()):  # right to left, so each letter of s is used once
                ways[j + 1] += ways[j]
        return ways[len(t)]
