from collections import OrderedDict, defaultdict


class LFUCache:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self.values: dict[int, int] = {}
        self.uses: dict[int, int] = {}
        # For each use count, its keys from least to most recently used.
        self.by_uses: defaultdict[int, OrderedDict] = defaultdict(OrderedDict)
        self.fewest = 0

    def _touch(self, key: int) -> None:
        uses = self.uses[key]
        del self.by_uses[uses][key]
        if not self.by_uses[uses]:
            del self.by_uses[uses]
            if self.fewest == uses:
                self.fewest = uses + 1
        self.uses[key] = uses + 1
        self.by_uses[uses + 1][key] = None

    def get(self, key: int) -> int:
        if key not in self.values:
            return -1
        self._touch(key)
        return self.values[key]

    def put(self, key: int, value: int) -> None:
        if key in self.values:
            self.values[key] = value
            self._touch(key)
            return
        if len(self.values) >= self.capacity:
            oldest, _ = self.by_uses[self.fewest].popitem(last=False)
            if not self.by_uses[self.fewest]:
                del self.by_uses[self.fewest]
            del self.values[oldest]
            del self.uses[oldest]
        self.values[key] = value
        self.uses[key] = 1
        self.by_uses[1][key] = None
        self.fewest = 1
