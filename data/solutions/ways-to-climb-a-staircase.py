class Solution:
    def count_climb_ways(self, n: int) -> int:
        # ways(i) = ways(i - 1) + ways(i - 2), with ways(0) = ways(1) = 1.
        previous, current = 1, 1
        for _ in range(n - 1):
            previous, current = current, previous + current
        return current
