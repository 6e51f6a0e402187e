from typing import List


class Solution:
    def find_words_in_grid(self, board: List[List[str]], words: List[str]) -> List[str]:
        trie: dict = {}
        for word in words:
            node = trie
            for letter in word:
                node = node.setdefault(letter, {})
            node["$"] = word
        rows, cols = len(board), len(board[0])
        found = []

        def walk(r: int, c: int, parent: dict) -> None:
            letter = board[r][c]
            node = parent[letter]
            word = node.pop("$", None)
            if word is not None:
                found.append(word)
            board[r][c] = "#"
            for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                if 0 <= nr < rows and 0 <= nc < cols and board[nr][nc] in node:
                    walk(nr, nc, node)
            board[r][c] = letter
            if not node:  # nothing left to find below: prune the branch
                parent.pop(letter)

        for r in range(rows):
            for c in range(cols):
                if board[r][c] in trie:
                    walk(r, c, trie)
        return sorted(found)
