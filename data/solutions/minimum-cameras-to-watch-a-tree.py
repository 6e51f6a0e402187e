from typing import Optional


class TreeNode:
    def __init__(self, val: int = 0, left: "Optional[TreeNode]" = None, right: "Optional[TreeNode]" = None):
        self.val = val
        self.left = left
        self.right = right


class Solution:
    def min_cameras(self, root: Optional[TreeNode]) -> int:
        # Greedy from the leaves up: a node gets a camera only if a child is unwatched.
        # States: 0 = unwatched, 1 = watched without a camera, 2 = has a camera.
        order, stack = [], [root]
        while stack:
            node = stack.pop()
            order.append(node)
            stack.extend(child for child in (node.left, node.right) if child)
        state = {None: 1}
        cameras = 0
        for node in reversed(order):
            kids = (state[node.left], state[node.right])
            if 0 in kids:
                state[node] = 2
                cameras += 1
            elif 2 in kids:
                state[node] = 1
            else:
                state[node] = 0
        return cameras + (state[root] == 0)
