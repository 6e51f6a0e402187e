/**
 * @param {string[][]} grid
 * @return {number}
 */
function countIslands(grid) {
  const m = grid.length;
  const n = grid[0].length;
  const seen = grid.map((row) => row.map(() => false));
  let islands = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (grid[i][j] !== "1" || seen[i][j]) continue;
      islands++;
      seen[i][j] = true;
      const stack = [[i, j]];
      while (stack.length > 0) {
        const [r, c] = stack.pop();
        for (const [x, y] of [[r + 1, c], [r - 1, c], [r, c + 1], [r, c - 1]]) {
          if (x >= 0 && x < m && y >= 0 && y < n && grid[x][y] === "1" && !seen[x][y]) {
            seen[x][y] = true;
            stack.push([x, y]);
          }
        }
      }
    }
  }
  return islands;
}
