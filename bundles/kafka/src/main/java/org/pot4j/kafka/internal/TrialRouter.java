package org.pot4j.kafka.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.TopicPartition;

/**
 * Which servers measure trials now: the members of the trial workers' group and the partitions of the trials topic
 * each holds (read every 2 s at most). A proposal goes to a partition of the member with the fewest of the job's
 * trials in flight, so that two proposals do not wait behind each other on one server while another is idle (the
 * key alone would hash them anywhere).
 */
final class TrialRouter {
    private static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final Admin admin;
    private final TrialTopics topics;
    private List<List<Integer>> members = List.of();
    private long readAt;

    TrialRouter(Admin admin, TrialTopics topics) {
        this.admin = admin;
        this.topics = topics;
    }

    /** The members that hold partitions of the trials topic (at least 1). */
    synchronized int parallelism() {
        refresh();
        return Math.max(1, members.size());
    }

    /**
     * The partition for a proposal, given how many trials in flight each partition has; null (the key decides) when
     * the group cannot be read.
     */
    synchronized Integer partition(Map<Integer, Integer> inFlightByPartition) {
        refresh();
        if (members.isEmpty()) {
            return null;
        }
        List<Integer> least = members.stream().min(Comparator.comparingInt(
                (List<Integer> partitions) -> partitions.stream().mapToInt(p -> inFlightByPartition.getOrDefault(p, 0))
                        .sum())).orElseThrow();
        return least.stream().min(Comparator.comparingInt(p -> inFlightByPartition.getOrDefault(p, 0))).orElseThrow();
    }

    private void refresh() {
        if (System.nanoTime() - readAt < REFRESH_NANOS && !members.isEmpty()) {
            return;
        }
        readAt = System.nanoTime();
        try {
            ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(topics.workersGroup())).all()
                    .get(10, TimeUnit.SECONDS).get(topics.workersGroup());
            List<List<Integer>> found = new ArrayList<>();
            for (MemberDescription member : group.members()) {
                List<Integer> partitions = member.assignment().topicPartitions().stream()
                        .filter(tp -> tp.topic().equals(topics.trials())).map(TopicPartition::partition).sorted()
                        .toList();
                if (!partitions.isEmpty()) {
                    found.add(partitions);
                }
            }
            members = found;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            members = List.of(); // the key decides; parallelism 1
        }
    }
}
