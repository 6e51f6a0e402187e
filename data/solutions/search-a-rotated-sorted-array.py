from typing import List


class Solution:
    def search_rotated(self, nums: List[int], target: int) -> int:
        low, high = 0, len(nums) - 1
        while low <= high:
            mid = (low + high) // 2
            if nums[mid] == target:
                return mid
            if nums[low] <= nums[mid]:
                # The left half [low, mid] is sorted.
                if nums[low] <= target < nums[mid]:
                    high = mid - 1
                else:
                    low = mid + 1
            elif nums[mid] < target <= nums[high]:
                # The right half [mid, high] is sorted.
                low = mid + 1
            else:
                high = mid - 1
        return -1
