import heapq


class MedianTracker:
    def __init__(self):
        self.low: list = []  # the smaller half, negated (a max-heap); may hold one extra value
        self.high: list = []  # the larger half (a min-heap)

    def add(self, num: int) -> None:
        heapq.heappush(self.low, -num)
        heapq.heappush(self.high, -heapq.heappop(self.low))
        if len(self.high) > len(self.low):
            heapq.heappush(self.low, -heapq.heappop(self.high))

    def median(self) -> float:
        if len(self.low) > len(self.high):
            return float(-self.low[0])
        return (-self.low[0] + self.high[0]) / 2
