from typing import List


class Solution:
    def count_components(self, n: int, edges: List[List[int]]) -> int:
        parent = list(range(n))

        def root(node: int) -> int:
            while parent[node] != node:
                parent[node] = parent[parent[node]]
                node = parent[node]
            return node

        components = n
        for u, v in edges:
            a, b = root(u), root(v)
            if a != b:
                parent[a] = b
                components -= 1
        return components
