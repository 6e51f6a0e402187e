/**
 * @param {number[]} nums
 * @param {number} target
 * @return {number[]}
 */
function pairWithTargetSum(nums, target) {
  const seen = new Map();
  for (let i = 0; i < nums.length; i++) {
    const j = seen.get(target - nums[i]);
    if (j !== undefined) return [j, i];
    if (!seen.has(nums[i])) seen.set(nums[i], i);
  }
  return [];
}
