import java.util.*;

class ListNode {
    int val;
    ListNode next;

    ListNode() {}
    ListNode(int val) { this.val = val; }
    ListNode(int val, ListNode next) { this.val = val; this.next = next; }
}

class Solution {
    public ListNode mergeManyLists(ListNode[] lists) {
        PriorityQueue<ListNode> heads = new PriorityQueue<>((a, b) -> Integer.compare(a.val, b.val));
        for (ListNode head : lists) {
            if (head != null) heads.add(head);
        }
        ListNode start = new ListNode();
        ListNode tail = start;
        while (!heads.isEmpty()) {
            ListNode node = heads.poll();
            tail.next = node;
            tail = node;
            if (node.next != null) heads.add(node.next);
        }
        tail.next = null;
        return start.next;
    }
}
