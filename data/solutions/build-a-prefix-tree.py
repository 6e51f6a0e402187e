class PrefixTree:
    def __init__(self):
        self.root: dict = {}

    def insert(self, word: str) -> None:
        node = self.root
        for char in word:
            node = node.setdefault(char, {})
        node["$"] = True

    def _find(self, text: str):
        node = self.root
        for char in text:
            node = node.get(char)
            if node is None:
                return None
        return node

    def contains(self, word: str) -> bool:
        node = self._find(word)
        return node is not None and "$" in node

    def has_prefix(self, prefix: str) -> bool:
        return self._find(prefix) is not None
