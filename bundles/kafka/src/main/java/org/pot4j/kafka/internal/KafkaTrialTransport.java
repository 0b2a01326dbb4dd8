package org.pot4j.kafka.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.optimizer.TrialChannel;
import org.pot4j.api.optimizer.TrialTransport;

/**
 * Trials over Kafka for the tuning jobs this server owns: one {@link KafkaTrialChannel} per job, sharing this
 * server's trial-log view, a producer for proposals and the router; a thread re-issues late trials every second.
 */
final class KafkaTrialTransport implements TrialTransport, AutoCloseable {
    private final TrialTopics topics;
    private final TrialLogView view;
    private final TrialRouter router;
    private final KafkaProducer<String, byte[]> producer;
    private final Admin admin;
    private final ServerHealth health;
    private final List<KafkaTrialChannel> channels = new CopyOnWriteArrayList<>();
    private final Thread reissuer;
    private volatile boolean stopping;

    KafkaTrialTransport(KafkaSettings settings, TrialTopics topics, TrialLogView view, ServerHealth health,
                        String server) {
        this.topics = topics;
        this.view = view;
        this.health = health;
        this.admin = Clients.admin(settings.bootstrapServers(), settings.clientProperties(), "pot4j-trials-admin-"
                + server, 10_000);
        this.router = new TrialRouter(admin, topics);
        this.producer = Clients.producer(settings.bootstrapServers(), settings.clientProperties(),
                "pot4j-trials-" + server, settings.maxRequestBytes(), 30_000);
        this.reissuer = new Thread(this::reissue, "pot4j-trials-reissue");
        reissuer.setDaemon(true);
        reissuer.start();
    }

    @Override
    public TrialChannel open(JobRequest request, String logId) {
        KafkaTrialChannel channel = new KafkaTrialChannel(this, request, logId);
        channels.add(channel);
        return channel;
    }

    private void reissue() {
        while (!stopping) {
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                return;
            }
            channels.forEach(KafkaTrialChannel::reissueLate);
        }
    }

    TrialTopics topics() {
        return topics;
    }

    TrialLogView view() {
        return view;
    }

    TrialRouter router() {
        return router;
    }

    KafkaProducer<String, byte[]> producer() {
        return producer;
    }

    void log(String message) {
        health.report(message);
    }

    void closed(KafkaTrialChannel channel) {
        channels.remove(channel);
    }

    @Override
    public void close() {
        stopping = true;
        reissuer.interrupt();
        channels.forEach(KafkaTrialChannel::abort);
        try {
            producer.close(java.time.Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            // closing
        }
        admin.close(java.time.Duration.ofSeconds(5));
    }
}
