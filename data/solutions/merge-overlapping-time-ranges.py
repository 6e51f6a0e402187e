from typing import List


class Solution:
    def merge_ranges(self, intervals: List[List[int]]) -> List[List[int]]:
        merged: List[List[int]] = []
        for start, end in sorted(intervals):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return merged
