from typing import List


class Solution:
    def days_until_warmer(self, temps: List[int]) -> List[int]:
        wait = [0] * len(temps)
        waiting: List[int] = []  # days without a warmer day yet, temperatures non-increasing
        for day, temp in enumerate(temps):
            while waiting and temps[waiting[-1]] < temp:
                earlier = waiting.pop()
                wait[earlier] = day - earlier
            waiting.append(day)
        return wait
