/**
 * @param {string[][]} board
 * @param {string[]} words
 * @return {string[]}
 */
function findWordsInGrid(board, words) {
  // A trie of the words; a node's word is set where one ends.
  const root = { children: new Map(), word: null };
  for (const word of words) {
    let node = root;
    for (const letter of word) {
      if (!node.children.has(letter)) node.children.set(letter, { children: new Map(), word: null });
      node = node.children.get(letter);
    }
    node.word = word;
  }
  const m = board.length;
  const n = board[0].length;
  const found = [];
  const visit = (i, j, parent) => {
    const letter = board[i][j];
    const node = parent.children.get(letter);
    if (node === undefined) return;
    if (node.word !== null) {
      found.push(node.word);
      node.word = null;
    }
    board[i][j] = "#";
    for (const [x, y] of [[i + 1, j], [i - 1, j], [i, j + 1], [i, j - 1]]) {
      if (x >= 0 && x < m && y >= 0 && y < n && board[x][y] !== "#") visit(x, y, node);
    }
    board[i][j] = letter;
    if (node.children.size === 0 && node.word === null) parent.children.delete(letter);
  };
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) visit(i, j, root);
  }
  return found.sort();
}
