from collections import deque
from typing import List


class Solution:
    def shortest_full_walk(self, graph: List[List[int]]) -> int:
        # BFS over (node, set of visited nodes), starting from every node at once.
        n = len(graph)
        full = (1 << n) - 1
        queue = deque((node, 1 << node) for node in range(n))
        seen = {(node, 1 << node) for node in range(n)}
        steps = 0
        while queue:
            for _ in range(len(queue)):
                node, visited = queue.popleft()
                if visited == full:
                    return steps
                for nxt in graph[node]:
                    state = (nxt, visited | 1 << nxt)
                    if state not in seen:
                        seen.add(state)
                        queue.append(state)
            steps += 1
        return -1
