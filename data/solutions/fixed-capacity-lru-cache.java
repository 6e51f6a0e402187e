import java.util.*;

class LRUCache {
    private final int capacity;
    // In access order: the first entry is the least recently used.
    private final LinkedHashMap<Integer, Integer> entries = new LinkedHashMap<>(16, 0.75f, true);

    public LRUCache(int capacity) {
        this.capacity = capacity;
    }

    public int get(int key) {
        Integer value = entries.get(key);
        return value == null ? -1 : value;
    }

    public void put(int key, int value) {
        entries.put(key, value);
        if (entries.size() > capacity) {
            entries.remove(entries.keySet().iterator().next());
        }
    }
}
