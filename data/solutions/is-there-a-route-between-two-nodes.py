from typing import List


class Solution:
    def route_exists(self, n: int, edges: List[List[int]], source: int, destination: int) -> bool:
        parent = list(range(n))

        def find(node: int) -> int:
            while parent[node] != node:
                parent[node] = parent[parent[node]]
                node = parent[node]
            return node

        for u, v in edges:
            parent[find(u)] = find(v)
        return find(source) == find(destination)
