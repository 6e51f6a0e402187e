from typing import List


class Solution:
    def cheapest_route(self, n: int, flights: List[List[int]], src: int, dst: int, k: int) -> int:
        # Bellman-Ford limited to k + 1 rounds (one flight per round).
        inf = float("inf")
        cost = [inf] * n
        cost[src] = 0
        for _ in range(k + 1):
            updated = cost[:]
            for a, b, price in flights:
                if cost[a] + price < updated[b]:
                    updated[b] = cost[a] + price
            cost = updated
        return -1 if cost[dst] == inf else cost[dst]
