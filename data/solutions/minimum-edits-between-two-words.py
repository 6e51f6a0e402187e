class Solution:
    def min_edits(self, source: str, target: str) -> int:
        # previous[j]: edits to turn source[:i - 1] into target[:j].
        previous = list(range(len(target) + 1))
        for i, char in enumerate(source, 1):
            current = [i] + [0] * len(target)
            for j, other in enumerate(target, 1):
                if char == other:
                    current[j] = previous[j - 1]
                else:
                    current[j] = 1 + min(previous[j - 1], previous[j], current[j - 1])
            previous = current
        return previous[-1]
