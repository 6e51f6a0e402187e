from typing import List


class Solution:
    def products_of_others(self, nums: List[int]) -> List[int]:
        n = len(nums)
        answer = [1] * n
        before = 1
        for i in range(n):
            answer[i] = before
            before *= nums[i]
        after = 1
        for i in range(n - 1, -1, -1):
            answer[i] *= after
            after *= nums[i]
        return answer
