from typing import Optional


class TreeNode:
    def __init__(self, val: int = 0, left: "Optional[TreeNode]" = None, right: "Optional[TreeNode]" = None):
        self.val = val
        self.left = left
        self.right = right


class Solution:
    def max_path_sum(self, root: Optional[TreeNode]) -> int:
        # Iterative post-order: a skewed tree of 3 * 10^4 nodes is too deep for recursion.
        order, stack = [], [root]
        while stack:
            node = stack.pop()
            order.append(node)
            stack.extend(child for child in (node.left, node.right) if child)
        best = root.val
        down: dict = {None: 0}  # the best sum of a path going down from a node
        for node in reversed(order):
            left = max(down[node.left], 0)
            right = max(down[node.right], 0)
            best = max(best, node.val + left + right)
            down[node] = node.val + max(left, right)
        return best
