from collections import Counter


class Solution:
    def can_compose_note(self, note: str, magazine: str) -> bool:
        available = Counter(magazine)
        return all(available[letter] >= needed for letter, needed in Counter(note).items())
