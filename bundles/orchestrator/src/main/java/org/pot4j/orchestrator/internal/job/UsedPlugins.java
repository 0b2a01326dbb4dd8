package org.pot4j.orchestrator.internal.job;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.pot4j.api.registry.PluginInfo;
import org.pot4j.api.registry.PluginKind;
import org.pot4j.api.registry.PluginRegistry;

/**
 * The plugin services a job holds. A bundle removed while the job runs takes its service away:
 * the job notices at its next cancellation check and fails naming that bundle, instead of running
 * on with code whose bundle is gone.
 */
public final class UsedPlugins {
    private record Use(PluginKind kind, String name, Object service, PluginInfo info) {
    }

    private final PluginRegistry registry;
    private final List<Use> uses = new CopyOnWriteArrayList<>();

    public UsedPlugins(PluginRegistry registry) {
        this.registry = registry;
    }

    public <T> T use(PluginKind kind, String name, T service) {
        if (service != null && uses.stream().noneMatch(u -> u.service() == service)) {
            PluginInfo info = registry.info(kind, name)
                    .orElse(new PluginInfo(name, kind, "unknown bundle", "", -1));
            uses.add(new Use(kind, name, service, info));
        }
        return service;
    }

    /** A message naming the first used plugin that is no longer the live one, if any. */
    public Optional<String> removed() {
        for (Use use : uses) {
            Optional<?> live = switch (use.kind()) {
                case ALGORITHM -> registry.algorithm(use.name());
                case METRIC -> registry.metric(use.name());
                case LOADER -> registry.loader(use.name());
                case DEVICE -> registry.device(use.name());
                case BACKEND -> registry.backend(use.name());
                case OPTIMIZER -> registry.optimizer(use.name());
            };
            if (live.isEmpty() || live.get() != use.service()) {
                return Optional.of("bundle " + use.info().bundle() + " " + use.info().version() + " providing "
                        + use.kind().label() + " " + use.name() + " was removed while the job was using it");
            }
        }
        return Optional.empty();
    }
}
