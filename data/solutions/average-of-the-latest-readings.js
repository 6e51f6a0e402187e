class MovingAverage {
  /**
   * @param {number} size
   */
  constructor(size) {
    this.size = size;
    this.window = [];
    this.start = 0;
    this.sum = 0;
  }

  /**
   * @param {number} val
   * @return {number}
   */
  next(val) {
    this.window.push(val);
    this.sum += val;
    if (this.window.length - this.start > this.size) {
      this.sum -= this.window[this.start];
      this.start++;
    }
    return this.sum / (this.window.length - this.start);
  }
}
