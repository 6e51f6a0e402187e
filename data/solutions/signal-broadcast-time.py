import heapq
from typing import List


class Solution:
    def broadcast_time(self, links: List[List[int]], n: int, source: int) -> int:
        graph: List[List[tuple]] = [[] for _ in range(n + 1)]
        for u, v, w in links:
            graph[u].append((v, w))
        arrival = {}
        heap = [(0, source)]
        while heap:
            time, node = heapq.heappop(heap)
            if node in arrival:
                continue
            arrival[node] = time
            for neighbour, weight in graph[node]:
                if neighbour not in arrival:
                    heapq.heappush(heap, (time + weight, neighbour))
        return max(arrival.values()) if len(arrival) == n else -1
