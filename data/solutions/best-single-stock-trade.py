from typing import List


class Solution:
    def max_trade_profit(self, prices: List[int]) -> int:
        best, lowest = 0, prices[0]
        for price in prices:
            lowest = min(lowest, price)
            best = max(best, price - lowest)
        return best
