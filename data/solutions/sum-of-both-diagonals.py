from typing import List


class Solution:
    def diagonal_sum(self, grid: List[List[int]]) -> int:
        n = len(grid)
        total = sum(grid[i][i] + grid[i][n - 1 - i] for i in range(n))
        if n % 2 == 1:
            total -= grid[n // 2][n // 2]
        return total
