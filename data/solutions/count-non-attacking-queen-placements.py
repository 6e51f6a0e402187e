class Solution:
    def count_queen_placements(self, n: int) -> int:
        full = (1 << n) - 1

        def place(columns: int, left: int, right: int) -> int:
            if columns == full:
                return 1
            count = 0
            free = full & ~(columns | left | right)
            while free:
                bit = free & -free
                free ^= bit
                count += place(columns | bit, ((left | bit) << 1) & full, (right | bit) >> 1)
            return count

        return place(0, 0, 0)
