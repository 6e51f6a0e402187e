from typing import Optional


class TreeNode:
    def __init__(self, val: int = 0, left: "Optional[TreeNode]" = None, right: "Optional[TreeNode]" = None):
        self.val = val
        self.left = left
        self.right = right


class Solution:
    def has_root_to_leaf_sum(self, root: Optional[TreeNode], target: int) -> bool:
        # Iterative, so a chain of 5000 nodes does not hit the recursion limit.
        stack = [(root, root.val)] if root else []
        while stack:
            node, total = stack.pop()
            if node.left is None and node.right is None and total == target:
                return True
            for child in (node.left, node.right):
                if child:
                    stack.append((child, total + child.val))
        return False
