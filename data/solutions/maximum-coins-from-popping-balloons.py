from typing import List


class Solution:
    def max_popping_coins(self, vals: List[int]) -> int:
        balloons = [1] + vals + [1]
        size = len(balloons)
        # best[i][j]: coins from popping every balloon strictly between i and j.
        best = [[0] * size for _ in range(size)]
        for gap in range(2, size):
            for i in range(size - gap):
                j = i + gap
                outer = balloons[i] * balloons[j]
                row_i = best[i]
                best[i][j] = max(row_i[m] + best[m][j] + outer * balloons[m] for m in range(i + 1, j))
        return best[0][size - 1]
