package org.pot4j.kafka.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Which offset of each partition may be committed: the lowest offset whose record has not
 * finished yet (or one past the highest seen when all finished). Records finish in any order;
 * the commit never passes an unfinished one, so a crash re-delivers it.
 */
public final class OffsetTracker<P> {
    private final Map<P, TreeSet<Long>> open = new HashMap<>();
    private final Map<P, Long> nextAfterSeen = new HashMap<>();
    private final Map<P, Long> committed = new HashMap<>();

    public synchronized void begin(P partition, long offset) {
        open.computeIfAbsent(partition, p -> new TreeSet<>()).add(offset);
        nextAfterSeen.merge(partition, offset + 1, Math::max);
    }

    public synchronized void finish(P partition, long offset) {
        TreeSet<Long> offsets = open.get(partition);
        if (offsets != null) {
            offsets.remove(offset);
        }
    }

    /**
     * Undoes {@link #begin} for a record that will be read again (its handling failed and the
     * consumer was sought back to it): the commit stays below it.
     */
    public synchronized void rewind(P partition, long offset) {
        TreeSet<Long> offsets = open.get(partition);
        if (offsets != null) {
            offsets.remove(offset);
        }
        nextAfterSeen.computeIfPresent(partition, (p, next) -> Math.min(next, offset));
    }

    /** The offset to commit for {@code partition} (the next record to read after a restart), or -1. */
    public synchronized long committable(P partition) {
        Long next = nextAfterSeen.get(partition);
        if (next == null) {
            return -1;
        }
        TreeSet<Long> offsets = open.get(partition);
        return offsets == null || offsets.isEmpty() ? next : offsets.first();
    }

    /** The partitions whose committable offset moved since the last {@link #markCommitted}, with that offset. */
    public synchronized Map<P, Long> advanced() {
        Map<P, Long> result = new HashMap<>();
        for (P partition : nextAfterSeen.keySet()) {
            long offset = committable(partition);
            if (offset >= 0 && offset > committed.getOrDefault(partition, -1L)) {
                result.put(partition, offset);
            }
        }
        return result;
    }

    public synchronized void markCommitted(P partition, long offset) {
        committed.merge(partition, offset, Math::max);
    }

    public synchronized int inFlight(P partition) {
        TreeSet<Long> offsets = open.get(partition);
        return offsets == null ? 0 : offsets.size();
    }

    /** Drops a partition this consumer no longer owns. */
    public synchronized void forget(P partition) {
        open.remove(partition);
        nextAfterSeen.remove(partition);
        committed.remove(partition);
    }
}
