from typing import List


class Solution:
    def find_influencer(self, n: int, follows: List[List[int]]) -> int:
        # score = followers - following; only the influencer reaches n - 1.
        score = [0] * (n + 1)
        for follower, followed in follows:
            score[follower] -= 1
            score[followed] += 1
        for account in range(1, n + 1):
            if score[account] == n - 1:
                return account
        return -1
