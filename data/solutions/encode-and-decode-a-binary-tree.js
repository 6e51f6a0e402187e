class TreeNode {
  constructor(val = 0, left = null, right = null) {
    this.val = val;
    this.left = left;
    this.right = right;
  }
}

class TreeCodec {
  constructor() {}

  /**
   * @param {TreeNode|null} root
   * @return {string}
   */
  serialize(root) {
    // Preorder, with "#" for a missing child.
    const out = [];
    const stack = [root];
    while (stack.length > 0) {
      const node = stack.pop();
      if (node === null) {
        out.push("#");
      } else {
        out.push(String(node.val));
        stack.push(node.right, node.left);
      }
    }
    return out.join(",");
  }

  /**
   * @param {string} data
   * @return {TreeNode|null}
   */
  deserialize(data) {
    const tokens = data.split(",");
    let at = 0;
    const root = { left: null };
    // Each frame: the parent and which side the next node fills.
    const stack = [[root, "left"]];
    while (stack.length > 0) {
      const [parent, side] = stack.pop();
      const token = tokens[at++];
      if (token === "#") continue;
      const node = new TreeNode(Number(token));
      parent[side] = node;
      stack.push([node, "right"], [node, "left"]);
    }
    return root.left;
  }
}
