#include <queue>
#include <sstream>
#include <string>
using namespace std;

struct TreeNode {
    int val;
    TreeNode* left;
    TreeNode* right;
    TreeNode(int x = 0, TreeNode* l = nullptr, TreeNode* r = nullptr) : val(x), left(l), right(r) {}
};

class TreeCodec {
public:
    TreeCodec() {
    }

    // Level order, with "#" for a missing child, tokens separated by spaces.
    string serialize(TreeNode* root) {
        if (root == nullptr) return "#";
        string out = to_string(root->val);
        queue<TreeNode*> pending;
        pending.push(root);
        while (!pending.empty()) {
            TreeNode* node = pending.front();
            pending.pop();
            for (TreeNode* child : {node->left, node->right}) {
                if (child == nullptr) {
                    out += " #";
                } else {
                    out += " " + to_string(child->val);
                    pending.push(child);
                }
            }
        }
        return out;
    }

    TreeNode* deserialize(string data) {
        istringstream in(data);
        string token;
        in >> token;
        if (token == "#") return nullptr;
        TreeNode* root = new TreeNode(stoi(token));
        queue<TreeNode*> pending;
        pending.push(root);
        while (!pending.empty()) {
            TreeNode* node = pending.front();
            pending.pop();
            for (TreeNode** child : {&node->left, &node->right}) {
                in >> token;
                if (token != "#") {
                    *child = new TreeNode(stoi(token));
                    pending.push(*child);
                }
            }
        }
        return root;
    }
};
