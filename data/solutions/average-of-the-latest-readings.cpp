#include <queue>
using namespace std;

class MovingAverage {
public:
    MovingAverage(int size) : size(size) {}

    double next(int val) {
        window.push(val);
        sum += val;
        if ((int) window.size() > size) {
            sum -= window.front();
            window.pop();
        }
        return (double) sum / window.size();
    }

private:
    int size;
    queue<int> window;
    long long sum = 0;
};
