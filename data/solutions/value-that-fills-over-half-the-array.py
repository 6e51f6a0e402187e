from typing import List


class Solution:
    def majority_value(self, nums: List[int]) -> int:
        # Boyer-Moore voting: the majority value survives every cancellation.
        candidate, count = nums[0], 0
        for value in nums:
            if count == 0:
                candidate = value
            count += 1 if value == candidate else -1
        return candidate
