import java.util.*;

class TreeNode {
    int val;
    TreeNode left;
    TreeNode right;

    TreeNode() {}
    TreeNode(int val) { this.val = val; }
    TreeNode(int val, TreeNode left, TreeNode right) { this.val = val; this.left = left; this.right = right; }
}

class TreeCodec {

    public TreeCodec() {
    }

    // Level order, with "#" for a missing child.
    public String serialize(TreeNode root) {
        StringBuilder out = new StringBuilder();
        Deque<TreeNode> queue = new ArrayDeque<>();
        if (root == null) return "#";
        out.append(root.val);
        queue.add(root);
        while (!queue.isEmpty()) {
            TreeNode node = queue.poll();
            for (TreeNode child : new TreeNode[] {node.left, node.right}) {
                out.append(',');
                if (child == null) {
                    out.append('#');
                } else {
                    out.append(child.val);
                    queue.add(child);
                }
            }
        }
        return out.toString();
    }

    public TreeNode deserialize(String data) {
        String[] tokens = data.split(",");
        if (tokens[0].equals("#")) return null;
        TreeNode root = new TreeNode(Integer.parseInt(tokens[0]));
        Deque<TreeNode> queue = new ArrayDeque<>();
        queue.add(root);
        int at = 1;
        while (!queue.isEmpty()) {
            TreeNode node = queue.poll();
            if (!tokens[at].equals("#")) {
                node.left = new TreeNode(Integer.parseInt(tokens[at]));
                queue.add(node.left);
            }
            if (!tokens[at + 1].equals("#")) {
                node.right = new TreeNode(Integer.parseInt(tokens[at + 1]));
                queue.add(node.right);
            }
            at += 2;
        }
        return root;
    }
}
