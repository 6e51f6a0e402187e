from typing import List


class Solution:
    def count_subarrays_with_sum(self, nums: List[int], k: int) -> int:
        # A subarray sums to k when two prefix sums differ by k.
        seen = {0: 1}
        prefix = count = 0
        for value in nums:
            prefix += value
            count += seen.get(prefix - k, 0)
            seen[prefix] = seen.get(prefix, 0) + 1
        return count
