from collections import defaultdict, deque
from typing import List


class Solution:
    def shortest_mutation_chain(self, start: str, target: str, dictionary: List[str]) -> int:
        words = set(dictionary)
        if target not in words:
            return 0
        # Bucket words by their patterns with one letter hidden: "c*ld" holds "cold", "cord"...
        buckets = defaultdict(list)
        for word in words:
            for i in range(len(word)):
                buckets[word[:i] + "*" + word[i + 1 :]].append(word)
        seen = {start}
        queue = deque([(start, 1)])
        while queue:
            word, length = queue.popleft()
            for i in range(len(word)):
                pattern = word[:i] + "*" + word[i + 1 :]
                for other in buckets.pop(pattern, ()):
                    if other == target:
                        return length + 1
                    if other not in seen:
                        seen.add(other)
                        queue.append((other, length + 1))
        return 0
