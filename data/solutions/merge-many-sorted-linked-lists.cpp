#include <queue>
#include <vector>
using namespace std;

struct ListNode {
    int val;
    ListNode* next;
    ListNode(int x = 0, ListNode* n = nullptr) : val(x), next(n) {}
};

class Solution {
public:
    ListNode* mergeManyLists(vector<ListNode*>& lists) {
        auto later = [](ListNode* a, ListNode* b) { return a->val > b->val; };
        priority_queue<ListNode*, vector<ListNode*>, decltype(later)> heads(later);
        for (ListNode* head : lists) {
            if (head != nullptr) heads.push(head);
        }
        ListNode start;
        ListNode* tail = &start;
        while (!heads.empty()) {
            ListNode* node = heads.top();
            heads.pop();
            tail->next = node;
            tail = node;
            if (node->next != nullptr) heads.push(node->next);
        }
        tail->next = nullptr;
        return start.next;
    }
};
