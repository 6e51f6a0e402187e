from typing import List


class Solution:
    def count_smaller_to_right(self, nums: List[int]) -> List[int]:
        # Fenwick tree over the ranks of the values, filled from the right.
        ranks = {value: rank for rank, value in enumerate(sorted(set(nums)), start=1)}
        tree = [0] * (len(ranks) + 1)
        counts = [0] * len(nums)
        for i in range(len(nums) - 1, -1, -1):
            rank = ranks[nums[i]]
            total, at = 0, rank - 1
            while at > 0:
                total += tree[at]
                at -= at & -at
            counts[i] = total
            at = rank
            while at < len(tree):
                tree[at] += 1
                at += at & -at
        return counts
