from collections import deque
from typing import List


class Solution:
    def can_complete_all(self, n: int, prereqs: List[List[int]]) -> bool:
        # Kahn's algorithm: every module gets taken exactly when there is no cycle.
        unlocks: List[List[int]] = [[] for _ in range(n)]
        waiting = [0] * n
        for module, before in prereqs:
            unlocks[before].append(module)
            waiting[module] += 1
        ready = deque(module for module in range(n) if waiting[module] == 0)
        taken = 0
        while ready:
            module = ready.popleft()
            taken += 1
            for after in unlocks[module]:
                waiting[after] -= 1
                if waiting[after] == 0:
                    ready.append(after)
        return taken == n
