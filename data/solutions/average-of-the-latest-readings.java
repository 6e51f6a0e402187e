import java.util.*;

class MovingAverage {
    private final int size;
    private final Deque<Integer> window = new ArrayDeque<>();
    private long sum;

    public MovingAverage(int size) {
        this.size = size;
    }

    public double next(int val) {
        window.addLast(val);
        sum += val;
        if (window.size() > size) sum -= window.removeFirst();
        return (double) sum / window.size();
    }
}
