from typing import List


class Solution:
    def longest_climb(self, grid: List[List[int]]) -> int:
        rows, cols = len(grid), len(grid[0])
        # Visit cells from the highest value down; a cell's best path goes to a higher neighbour.
        cells = sorted(((grid[r][c], r, c) for r in range(rows) for c in range(cols)), reverse=True)
        best = [[1] * cols for _ in range(rows)]
        for value, r, c in cells:
            length = 1
            for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                if 0 <= nr < rows and 0 <= nc < cols and grid[nr][nc] > value:
                    length = max(length, best[nr][nc] + 1)
            best[r][c] = length
        return max(max(row) for row in best)
