import java.util.*;

class Solution {
    private static final class Trie {
        final Trie[] children = new Trie[26];
        String word;
    }

    public List<String> findWordsInGrid(char[][] board, String[] words) {
        Trie root = new Trie();
        for (String word : words) {
            Trie node = root;
            for (char letter : word.toCharArray()) {
                if (node.children[letter - 'a'] == null) node.children[letter - 'a'] = new Trie();
                node = node.children[letter - 'a'];
            }
            node.word = word;
        }
        List<String> found = new ArrayList<>();
        for (int i = 0; i < board.length; i++) {
            for (int j = 0; j < board[0].length; j++) visit(board, i, j, root, found);
        }
        Collections.sort(found);
        return found;
    }

    private void visit(char[][] board, int i, int j, Trie parent, List<String> found) {
        char letter = board[i][j];
        if (letter == '#' || parent.children[letter - 'a'] == null) return;
        Trie node = parent.children[letter - 'a'];
        if (node.word != null) {
            found.add(node.word);
            node.word = null;
        }
        board[i][j] = '#';
        if (i > 0) visit(board, i - 1, j, node, found);
        if (i + 1 < board.length) visit(board, i + 1, j, node, found);
        if (j > 0) visit(board, i, j - 1, node, found);
        if (j + 1 < board[0].length) visit(board, i, j + 1, node, found);
        board[i][j] = letter;
    }
}
