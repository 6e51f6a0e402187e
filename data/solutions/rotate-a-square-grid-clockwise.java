class Solution {
    public void rotateClockwise(int[][] matrix) {
        int n = matrix.length;
        // Transpose, then reverse each row.
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                int held = matrix[i][j];
                matrix[i][j] = matrix[j][i];
                matrix[j][i] = held;
            }
        }
        for (int[] row : matrix) {
            for (int left = 0, right = n - 1; left < right; left++, right--) {
                int held = row[left];
                row[left] = row[right];
                row[right] = held;
            }
        }
    }
}
