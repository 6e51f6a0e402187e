#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>
using namespace std;

class Solution {
public:
    vector<vector<string>> groupRearrangements(vector<string>& words) {
        unordered_map<string, int> group;
        vector<vector<string>> groups;
        for (const string& word : words) {
            string key = word;
            sort(key.begin(), key.end());
            auto found = group.find(key);
            if (found == group.end()) {
                group[key] = (int) groups.size();
                groups.push_back({word});
            } else {
                groups[found->second].push_back(word);
            }
        }
        return groups;
    }
};
