#include <unordered_map>
#include <vector>
using namespace std;

class Solution {
public:
    vector<int> pairWithTargetSum(vector<int>& nums, int target) {
        unordered_map<long long, int> seen;
        for (int i = 0; i < (int) nums.size(); i++) {
            auto found = seen.find((long long) target - nums[i]);
            if (found != seen.end()) return {found->second, i};
            seen.emplace(nums[i], i);
        }
        return {};
    }
};
