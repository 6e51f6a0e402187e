from typing import List


class Solution:
    def critical_links(self, n: int, links: List[List[int]]) -> List[List[int]]:
        graph = [[] for _ in range(n)]
        for index, (a, b) in enumerate(links):
            graph[a].append((b, index))
            graph[b].append((a, index))
        order = [-1] * n  # discovery time
        low = [0] * n
        bridges = []
        time = 0
        for root in range(n):
            if order[root] != -1:
                continue
            order[root] = low[root] = time
            time += 1
            stack = [(root, -1, iter(graph[root]))]  # iterative DFS: node, edge used to enter it
            while stack:
                node, via, edges = stack[-1]
                advanced = False
                for nxt, index in edges:
                    if index == via:
                        continue
                    if order[nxt] == -1:
                        order[nxt] = low[nxt] = time
                        time += 1
                        stack.append((nxt, index, iter(graph[nxt])))
                        advanced = True
                        break
                    low[node] = min(low[node], order[nxt])
                if advanced:
                    continue
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        bridges.append(sorted((parent, node)))
        return sorted(bridges)
