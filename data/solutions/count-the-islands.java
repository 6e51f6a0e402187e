import java.util.*;

class Solution {
    public int countIslands(char[][] grid) {
        int m = grid.length;
        int n = grid[0].length;
        boolean[][] seen = new boolean[m][n];
        int[][] steps = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
        int islands = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                if (grid[i][j] != '1' || seen[i][j]) continue;
                islands++;
                seen[i][j] = true;
                Deque<int[]> stack = new ArrayDeque<>();
                stack.push(new int[] {i, j});
                while (!stack.isEmpty()) {
                    int[] cell = stack.pop();
                    for (int[] step : steps) {
                        int x = cell[0] + step[0];
                        int y = cell[1] + step[1];
                        if (x >= 0 && x < m && y >= 0 && y < n && grid[x][y] == '1' && !seen[x][y]) {
                            seen[x][y] = true;
                            stack.push(new int[] {x, y});
                        }
                    }
                }
            }
        }
        return islands;
    }
}
