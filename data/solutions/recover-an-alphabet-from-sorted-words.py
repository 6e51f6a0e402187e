import heapq
from typing import List


class Solution:
    def recover_alphabet(self, words: List[str]) -> str:
        letters = {c for word in words for c in word}
        after = {c: set() for c in letters}
        for first, second in zip(words, words[1:]):
            for a, b in zip(first, second):
                if a != b:
                    after[a].add(b)
                    break
            else:
                if len(first) > len(second):
                    return ""
        indegree = {c: 0 for c in letters}
        for a in letters:
            for b in after[a]:
                indegree[b] += 1
        # Kahn's algorithm, always taking the alphabetically smallest available letter.
        ready = [c for c in letters if indegree[c] == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            c = heapq.heappop(ready)
            order.append(c)
            for b in after[c]:
                indegree[b] -= 1
                if indegree[b] == 0:
                    heapq.heappush(ready, b)
        return "".join(order) if len(order) == len(letters) else ""
