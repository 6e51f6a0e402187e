from collections import deque
from typing import List


class Solution:
    def window_maximums(self, nums: List[int], k: int) -> List[int]:
        window = deque()  # indices, their values decreasing
        result = []
        for i, value in enumerate(nums):
            while window and nums[window[-1]] <= value:
                window.pop()
            window.append(i)
            if window[0] <= i - k:
                window.popleft()
            if i >= k - 1:
                result.append(nums[window[0]])
        return result
