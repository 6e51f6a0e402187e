from typing import List


class Solution:
    def trapped_water(self, heights: List[int]) -> int:
        left, right = 0, len(heights) - 1
        left_max = right_max = water = 0
        while left < right:
            # The lower side's water level is settled by its own running maximum.
            if heights[left] < heights[right]:
                left_max = max(left_max, heights[left])
                water += left_max - heights[left]
                left += 1
            else:
                right_max = max(right_max, heights[right])
                water += right_max - heights[right]
                right -= 1
        return water
