package org.pot4j.kafka.internal;

/**
 * The names trials over Kafka use, derived from the configured requests topic so that servers configured for one
 * set of topics find each other's trials: {@code <base>.trials} (proposals, consumed by the group
 * {@code <group_id>.trials}) and {@code <base>.trial-log} (compacted: the trial logs), {@code <base>} being
 * {@code requests_topic} without its {@code .requests} suffix ({@code pot4j.trials}, {@code pot4j.trial-log}).
 */
record TrialTopics(String trials, String log, String workersGroup) {

    static TrialTopics of(KafkaSettings settings) {
        String requests = settings.requestsTopic();
        String base = requests.endsWith(".requests") ? requests.substring(0, requests.length() - ".requests".length())
                : requests;
        return new TrialTopics(base + ".trials", base + ".trial-log", settings.groupId() + ".trials");
    }
}
