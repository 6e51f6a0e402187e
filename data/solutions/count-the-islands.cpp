#include <utility>
#include <vector>
using namespace std;

class Solution {
public:
    int countIslands(vector<vector<char>>& grid) {
        int m = grid.size();
        int n = grid[0].size();
        vector<vector<bool>> seen(m, vector<bool>(n, false));
        const int steps[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
        int islands = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                if (grid[i][j] != '1' || seen[i][j]) continue;
                islands++;
                seen[i][j] = true;
                vector<pair<int, int>> stack = {{i, j}};
                while (!stack.empty()) {
                    auto [r, c] = stack.back();
                    stack.pop_back();
                    for (const auto& step : steps) {
                        int x = r + step[0];
                        int y = c + step[1];
                        if (x >= 0 && x < m && y >= 0 && y < n && grid[x][y] == '1' && !seen[x][y]) {
                            seen[x][y] = true;
                            stack.push_back({x, y});
                        }
                    }
                }
            }
        }
        return islands;
    }
};
