from bisect import bisect_left
from typing import List


class Solution:
    def longest_rising_subsequence(self, nums: List[int]) -> int:
        # tails[i]: the smallest possible last value of a rising subsequence of length i + 1.
        tails: List[int] = []
        for value in nums:
            at = bisect_left(tails, value)
            if at == len(tails):
                tails.append(value)
            else:
                tails[at] = value
        return len(tails)
