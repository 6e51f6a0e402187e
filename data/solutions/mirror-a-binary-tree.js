class TreeNode {
  constructor(val = 0, left = null, right = null) {
    this.val = val;
    this.left = left;
    this.right = right;
  }
}

/**
 * @param {TreeNode|null} root
 * @return {TreeNode|null}
 */
function mirrorTree(root) {
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null) continue;
    [node.left, node.right] = [node.right, node.left];
    stack.push(node.left, node.right);
  }
  return root;
}
