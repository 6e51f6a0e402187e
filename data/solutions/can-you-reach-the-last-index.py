from typing import List


class Solution:
    def can_reach_end(self, jumps: List[int]) -> bool:
        furthest = 0
        for index, jump in enumerate(jumps):
            if index > furthest:
                return False
            furthest = max(furthest, index + jump)
        return True
