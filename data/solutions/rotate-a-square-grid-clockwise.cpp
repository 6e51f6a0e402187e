#include <algorithm>
#include <utility>
#include <vector>
using namespace std;

class Solution {
public:
    void rotateClockwise(vector<vector<int>>& matrix) {
        int n = matrix.size();
        // Transpose, then reverse each row.
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) swap(matrix[i][j], matrix[j][i]);
        }
        for (auto& row : matrix) reverse(row.begin(), row.end());
    }
};
