from typing import List


class Solution:
    def max_non_adjacent_sum(self, coins: List[int]) -> int:
        # skip: best so far without the last house; take: best so far overall.
        skip, take = 0, 0
        for amount in coins:
            skip, take = take, max(take, skip + amount)
        return take
