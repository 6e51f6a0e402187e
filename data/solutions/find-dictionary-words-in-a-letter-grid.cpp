#include <algorithm>
#include <memory>
#include <string>
#include <vector>
using namespace std;

class Solution {
    struct Trie {
        unique_ptr<Trie> children[26];
        const string* word = nullptr;
    };

public:
    vector<string> findWordsInGrid(vector<vector<char>>& board, vector<string>& words) {
        Trie root;
        for (const string& word : words) {
            Trie* node = &root;
            for (char letter : word) {
                auto& child = node->children[letter - 'a'];
                if (!child) child = make_unique<Trie>();
                node = child.get();
            }
            node->word = &word;
        }
        vector<string> found;
        for (int i = 0; i < (int) board.size(); i++) {
            for (int j = 0; j < (int) board[0].size(); j++) visit(board, i, j, &root, found);
        }
        sort(found.begin(), found.end());
        return found;
    }

private:
    void visit(vector<vector<char>>& board, int i, int j, Trie* parent, vector<string>& found) {
        char letter = board[i][j];
        if (letter == '#' || !parent->children[letter - 'a']) return;
        Trie* node = parent->children[letter - 'a'].get();
        if (node->word != nullptr) {
            found.push_back(*node->word);
            node->word = nullptr;
        }
        board[i][j] = '#';
        if (i > 0) visit(board, i - 1, j, node, found);
        if (i + 1 < (int) board.size()) visit(board, i + 1, j, node, found);
        if (j > 0) visit(board, i, j - 1, node, found);
        if (j + 1 < (int) board[0].size()) visit(board, i, j + 1, node, found);
        board[i][j] = letter;
    }
};
