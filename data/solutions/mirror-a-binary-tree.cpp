#include <utility>
#include <vector>
using namespace std;

struct TreeNode {
    int val;
    TreeNode* left;
    TreeNode* right;
    TreeNode(int x = 0, TreeNode* l = nullptr, TreeNode* r = nullptr) : val(x), left(l), right(r) {}
};

class Solution {
public:
    TreeNode* mirrorTree(TreeNode* root) {
        vector<TreeNode*> stack = {root};
        while (!stack.empty()) {
            TreeNode* node = stack.back();
            stack.pop_back();
            if (node == nullptr) continue;
            swap(node->left, node->right);
            stack.push_back(node->left);
            stack.push_back(node->right);
        }
        return root;
    }
};
