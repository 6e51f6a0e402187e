from typing import List


class Solution:
    def pair_with_target_sum(self, nums: List[int], target: int) -> List[int]:
        seen: dict[int, int] = {}
        for index, value in enumerate(nums):
            if target - value in seen:
                return [seen[target - value], index]
            seen[value] = index
        return []
