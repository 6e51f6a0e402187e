from collections import Counter
from typing import List


class Solution:
    def most_frequent_values(self, nums: List[int], k: int) -> List[int]:
        counts = Counter(nums)
        return sorted(counts, key=lambda value: (-counts[value], value))[:k]
