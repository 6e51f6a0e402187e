#include <string>
using namespace std;

class Solution {
public:
    bool isCleanPalindrome(string s) {
        int i = 0;
        int j = (int) s.size() - 1;
        while (i < j) {
            if (!kept(s[i])) {
                i++;
            } else if (!kept(s[j])) {
                j--;
            } else if (lower(s[i]) != lower(s[j])) {
                return false;
            } else {
                i++;
                j--;
            }
        }
        return true;
    }

private:
    static bool kept(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
    static char lower(char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }
};
