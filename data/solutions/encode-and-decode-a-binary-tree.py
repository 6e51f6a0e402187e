from collections import deque
from typing import Optional


class TreeNode:
    def __init__(self, val: int = 0, left: "Optional[TreeNode]" = None, right: "Optional[TreeNode]" = None):
        self.val = val
        self.left = left
        self.right = right


class TreeCodec:
    def serialize(self, root: Optional[TreeNode]) -> str:
        # Level order, "#" for a missing child.
        parts = []
        queue = deque([root])
        while queue:
            node = queue.popleft()
            if node is None:
                parts.append("#")
                continue
            parts.append(str(node.val))
            queue.append(node.left)
            queue.append(node.right)
        return ",".join(parts)

    def deserialize(self, data: str) -> Optional[TreeNode]:
        tokens = data.split(",")
        if tokens[0] == "#":
            return None
        root = TreeNode(int(tokens[0]))
        queue = deque([root])
        at = 1
        while queue:
            node = queue.popleft()
            for side in ("left", "right"):
                token = tokens[at]
                at += 1
                if token != "#":
                    child = TreeNode(int(token))
                    setattr(node, side, child)
                    queue.append(child)
        return root
