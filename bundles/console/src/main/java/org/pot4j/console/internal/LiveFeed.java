package org.pot4j.console.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.osgi.service.component.annotations.Component;

/**
 * What the open event streams receive: job events (from {@link JobBoard}) and the plugin list when it changes (from
 * {@link PluginTracker}). A message is a JSON object with {@code job} and {@code event}, or {@code plugins}. Each
 * listener queues it for its own thread (see {@link EventStreamServlet}): publishing never blocks.
 */
@Component(service = LiveFeed.class)
public final class LiveFeed {
    private final List<Consumer<Map<String, Object>>> listeners = new CopyOnWriteArrayList<>();

    void publish(Map<String, Object> message) {
        listeners.forEach(listener -> listener.accept(message));
    }

    void listen(Consumer<Map<String, Object>> listener) {
        listeners.add(listener);
    }

    void unlisten(Consumer<Map<String, Object>> listener) {
        listeners.remove(listener);
    }
}
