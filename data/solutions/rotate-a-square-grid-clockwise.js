/**
 * @param {number[][]} matrix
 * @return {void}
 */
function rotateClockwise(matrix) {
  const n = matrix.length;
  // Transpose, then reverse each row.
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      [matrix[i][j], matrix[j][i]] = [matrix[j][i], matrix[i][j]];
    }
  }
  for (const row of matrix) row.reverse();
}
