from typing import List


class Solution:
    def combinations_to_target(self, candidates: List[int], target: int) -> List[List[int]]:
        values = sorted(candidates)
        result: List[List[int]] = []
        chosen: List[int] = []

        def extend(start: int, remaining: int) -> None:
            if remaining == 0:
                result.append(chosen.copy())
                return
            for index in range(start, len(values)):
                if values[index] > remaining:
                    break
                chosen.append(values[index])
                extend(index, remaining - values[index])
                chosen.pop()

        # Depth-first in ascending order yields the combinations already sorted lexicographically.
        extend(0, target)
        return result
