from typing import List


class Solution:
    def largest_rectangle(self, heights: List[int]) -> int:
        best = 0
        rising: List[int] = []  # indices of bars with increasing heights
        for index, height in enumerate(heights + [0]):
            while rising and heights[rising[-1]] >= height:
                top = heights[rising.pop()]
                left = rising[-1] + 1 if rising else 0
                best = max(best, top * (index - left))
            rising.append(index)
        return best
