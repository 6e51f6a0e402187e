from typing import List


class Solution:
    def find_star_centre(self, edges: List[List[int]]) -> int:
        # The centre is the one node on both of the first two links.
        first, second = edges[0], edges[1]
        return first[0] if first[0] in second else first[1]
