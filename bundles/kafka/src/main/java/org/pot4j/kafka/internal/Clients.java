package org.pot4j.kafka.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Builds Kafka clients inside OSGi: serializer instances, and the thread context class loader set
 * to this bundle's loader while a client is built, because Kafka's config classes load default
 * class names (assignors, SASL callbacks, metrics reporters) through it.
 */
public final class Clients {

    private Clients() {
    }

    public static <T> T withBundleLoader(Supplier<T> build) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(Clients.class.getClassLoader());
        try {
            return build.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private static Map<String, Object> base(String bootstrap, Map<String, Object> passthrough, String clientId) {
        Map<String, Object> props = new HashMap<>(passthrough);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
        return props;
    }

    public static KafkaProducer<String, byte[]> producer(String bootstrap, Map<String, Object> passthrough,
                                                        String clientId, int maxRequestBytes, long maxBlockMs) {
        Map<String, Object> props = base(bootstrap, passthrough, clientId);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, maxBlockMs);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(30_000, maxBlockMs + 20_000));
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Math.max(1_048_576, maxRequestBytes + 65_536));
        return withBundleLoader(() -> new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer()));
    }

    /** A consumer; {@code groupId} null for one that assigns partitions itself and commits nothing. */
    public static KafkaConsumer<String, byte[]> consumer(String bootstrap, Map<String, Object> passthrough,
                                                        String clientId, String groupId,
                                                        Map<String, Object> extra) {
        Map<String, Object> props = base(bootstrap, passthrough, clientId);
        if (groupId != null) {
            props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        props.putAll(extra);
        return withBundleLoader(() -> new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer()));
    }

    public static Admin admin(String bootstrap, Map<String, Object> passthrough, String clientId, int timeoutMs) {
        Map<String, Object> props = base(bootstrap, passthrough, clientId);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
        return withBundleLoader(() -> Admin.create(props));
    }
}
