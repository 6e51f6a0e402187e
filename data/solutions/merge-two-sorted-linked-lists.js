class ListNode {
  constructor(val = 0, next = null) {
    this.val = val;
    this.next = next;
  }
}

/**
 * @param {ListNode|null} a
 * @param {ListNode|null} b
 * @return {ListNode|null}
 */
function mergeSortedLists(a, b) {
  const head = new ListNode();
  let tail = head;
  while (a !== null && b !== null) {
    if (b.val < a.val) {
      tail.next = b;
      b = b.next;
    } else {
      tail.next = a;
      a = a.next;
    }
    tail = tail.next;
  }
  tail.next = a !== null ? a : b;
  return head.next;
}
