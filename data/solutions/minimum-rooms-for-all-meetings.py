from typing import List


class Solution:
    def min_rooms(self, meetings: List[List[int]]) -> int:
        starts = sorted(start for start, _ in meetings)
        ends = sorted(end for _, end in meetings)
        rooms = busy = 0
        ended = 0
        for start in starts:
            # Meetings ending at or before this start free their rooms first.
            while ends[ended] <= start:
                ended += 1
                busy -= 1
            busy += 1
            rooms = max(rooms, busy)
        return rooms
