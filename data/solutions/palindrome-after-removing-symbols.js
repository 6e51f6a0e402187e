/**
 * @param {string} s
 * @return {boolean}
 */
function isCleanPalindrome(s) {
  const kept = (c) => /[A-Za-z0-9]/.test(c);
  let i = 0;
  let j = s.length - 1;
  while (i < j) {
    if (!kept(s[i])) i++;
    else if (!kept(s[j])) j--;
    else if (s[i].toLowerCase() !== s[j].toLowerCase()) return false;
    else {
      i++;
      j--;
    }
  }
  return true;
}
