from collections import defaultdict
from typing import List, Optional


class TreeNode:
    def __init__(self, val: int = 0, left: "Optional[TreeNode]" = None, right: "Optional[TreeNode]" = None):
        self.val = val
        self.left = left
        self.right = right


class Solution:
    def vertical_columns(self, root: Optional[TreeNode]) -> List[List[int]]:
        columns = defaultdict(list)  # column -> [(row, value)]
        stack = [(root, 0, 0)]
        while stack:
            node, row, col = stack.pop()
            if node is None:
                continue
            columns[col].append((row, node.val))
            stack.append((node.left, row + 1, col - 1))
            stack.append((node.right, row + 1, col + 1))
        return [[value for _, value in sorted(columns[col])] for col in sorted(columns)]
