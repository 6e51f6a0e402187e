from typing import List


class Solution:
    def fewest_coins(self, coins: List[int], amount: int) -> int:
        unreachable = amount + 1
        fewest = [0] + [unreachable] * amount
        usable = [coin for coin in set(coins) if coin <= amount]
        for total in range(1, amount + 1):
            for coin in usable:
                if coin <= total and fewest[total - coin] + 1 < fewest[total]:
                    fewest[total] = fewest[total - coin] + 1
        return fewest[amount] if fewest[amount] != unreachable else -1
