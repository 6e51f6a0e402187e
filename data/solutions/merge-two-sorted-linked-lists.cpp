struct ListNode {
    int val;
    ListNode* next;
    ListNode(int x = 0, ListNode* n = nullptr) : val(x), next(n) {}
};

class Solution {
public:
    ListNode* mergeSortedLists(ListNode* a, ListNode* b) {
        ListNode head;
        ListNode* tail = &head;
        while (a != nullptr && b != nullptr) {
            if (b->val < a->val) {
                tail->next = b;
                b = b->next;
            } else {
                tail->next = a;
                a = a->next;
            }
            tail = tail->next;
        }
        tail->next = a != nullptr ? a : b;
        return head.next;
    }
};
