class ListNode {
  constructor(val = 0, next = null) {
    this.val = val;
    this.next = next;
  }
}

/**
 * @param {Array<ListNode|null>} lists
 * @return {ListNode|null}
 */
function mergeManyLists(lists) {
  const merge = (a, b) => {
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
  };
  // Merge neighbours pairwise: log k rounds over N nodes.
  let round = lists.slice();
  if (round.length === 0) return null;
  while (round.length > 1) {
    const next = [];
    for (let i = 0; i < round.length; i += 2) {
      next.push(i + 1 < round.length ? merge(round[i], round[i + 1]) : round[i]);
    }
    round = next;
  }
  return round[0];
}
