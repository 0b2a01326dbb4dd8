package org.pot4j.orchestrator.internal.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongFunction;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.optimizer.Optimizer;
import org.pot4j.api.backend.InferenceBackend;
import org.pot4j.api.data.DataLoader;
import org.pot4j.api.device.TargetDevice;
import org.pot4j.api.metric.Metric;
import org.pot4j.api.registry.PluginInfo;
import org.pot4j.api.registry.PluginKind;
import org.pot4j.api.registry.PluginRegistry;

/**
 * Tracks every plugin service by its name property. References are dynamic and greedy, so a
 * bundle installed or removed while the framework runs changes what the next lookup returns.
 * When two services share a name, the one with the highest service ranking (then the oldest)
 * wins, as the OSGi service registry itself would choose.
 */
@Component(service = PluginRegistry.class)
public final class PluginRegistryImpl implements PluginRegistry {

    /** Where a service comes from: the provider bundle's symbolic name and version. */
    public record Origin(String bundle, String version) {
        static final Origin UNKNOWN = new Origin("unknown", "0.0.0");
    }

    private record Entry(PluginInfo info, Object service, long serviceId, int ranking, List<String> aliases) {
    }

    private static final Comparator<Entry> PREFERRED_FIRST =
            Comparator.comparingInt(Entry::ranking).reversed().thenComparingLong(Entry::serviceId);

    private final LongFunction<Origin> originOfBundle;
    private final Map<PluginKind, List<Entry>> entries = new EnumMap<>(PluginKind.class);

    @Activate
    public PluginRegistryImpl(BundleContext context) {
        this(bundleId -> originOf(context.getBundle(bundleId)));
    }

    /** For tests and embedding: {@code originOfBundle} maps a bundle id to its name and version. */
    public PluginRegistryImpl(LongFunction<Origin> originOfBundle) {
        this.originOfBundle = originOfBundle;
        for (PluginKind kind : PluginKind.values()) {
            entries.put(kind, new ArrayList<>());
        }
    }

    private static Origin originOf(Bundle bundle) {
        return bundle == null ? Origin.UNKNOWN : new Origin(bundle.getSymbolicName(), bundle.getVersion().toString());
    }

    // --- DS binding: one pair per kind; the target filter admits only services that carry a name

    @Reference(service = QuantizationAlgorithm.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            target = "(" + QuantizationAlgorithm.PROPERTY + "=*)", unbind = "unbindAlgorithm",
            updated = "updatedAlgorithm")
    public void bindAlgorithm(QuantizationAlgorithm service, Map<String, Object> properties) {
        add(PluginKind.ALGORITHM, service, properties);
    }

    public void updatedAlgorithm(QuantizationAlgorithm service, Map<String, Object> properties) {
        update(PluginKind.ALGORITHM, service, properties);
    }

    public void unbindAlgorithm(QuantizationAlgorithm service, Map<String, Object> properties) {
        remove(PluginKind.ALGORITHM, properties);
    }

    @Reference(service = Metric.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            target = "(" + Metric.PROPERTY + "=*)", unbind = "unbindMetric", updated = "updatedMetric")
    public void bindMetric(Metric service, Map<String, Object> properties) {
        add(PluginKind.METRIC, service, properties);
    }

    public void updatedMetric(Metric service, Map<String, Object> properties) {
        update(PluginKind.METRIC, service, properties);
    }

    public void unbindMetric(Metric service, Map<String, Object> properties) {
        remove(PluginKind.METRIC, properties);
    }

    @Reference(service = DataLoader.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            target = "(" + DataLoader.PROPERTY + "=*)", unbind = "unbindLoader", updated = "updatedLoader")
    public void bindLoader(DataLoader service, Map<String, Object> properties) {
        add(PluginKind.LOADER, service, properties);
    }

    public void updatedLoader(DataLoader service, Map<String, Object> properties) {
        update(PluginKind.LOADER, service, properties);
    }

    public void unbindLoader(DataLoader service, Map<String, Object> properties) {
        remove(PluginKind.LOADER, properties);
    }

    @Reference(service = TargetDevice.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            target = "(" + TargetDevice.PROPERTY + "=*)", unbind = "unbindDevice", updated = "updatedDevice")
    public void bindDevice(TargetDevice service, Map<String, Object> properties) {
        add(PluginKind.DEVICE, service, properties);
    }

    public void updatedDevice(TargetDevice service, Map<String, Object> properties) {
        update(PluginKind.DEVICE, service, properties);
    }

    public void unbindDevice(TargetDevice service, Map<String, Object> properties) {
        remove(PluginKind.DEVICE, properties);
    }

    @Reference(service = InferenceBackend.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            target = "(" + InferenceBackend.PROPERTY + "=*)", unbind = "unbindBackend", updated = "updatedBackend")
    public void bindBackend(InferenceBackend service, Map<String, Object> properties) {
        add(PluginKind.BACKEND, service, properties);
    }

    public void updatedBackend(InferenceBackend service, Map<String, Object> properties) {
        update(PluginKind.BACKEND, service, properties);
    }

    public void unbindBackend(InferenceBackend service, Map<String, Object> properties) {
        remove(PluginKind.BACKEND, properties);
    }

    @Reference(service = Optimizer.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            target = "(" + Optimizer.PROPERTY + "=*)", unbind = "unbindOptimizer", updated = "updatedOptimizer")
    public void bindOptimizer(Optimizer service, Map<String, Object> properties) {
        add(PluginKind.OPTIMIZER, service, properties);
    }

    public void updatedOptimizer(Optimizer service, Map<String, Object> properties) {
        update(PluginKind.OPTIMIZER, service, properties);
    }

    public void unbindOptimizer(Optimizer service, Map<String, Object> properties) {
        remove(PluginKind.OPTIMIZER, properties);
    }

    // --- bookkeeping

    private void add(PluginKind kind, Object service, Map<String, Object> properties) {
        String name = firstString(properties.get(kind.nameProperty()));
        if (name == null || name.isBlank()) {
            return; // the target filter keeps these out; a direct caller may not
        }
        long bundleId = asLong(properties.get(Constants.SERVICE_BUNDLEID), -1L);
        Origin origin = bundleId < 0 ? Origin.UNKNOWN : originOfBundle.apply(bundleId);
        if (origin == null) {
            origin = Origin.UNKNOWN;
        }
        Entry entry = new Entry(new PluginInfo(name, kind, origin.bundle(), origin.version(), bundleId), service,
                asLong(properties.get(Constants.SERVICE_ID), System.identityHashCode(service)),
                (int) asLong(properties.get(Constants.SERVICE_RANKING), 0L),
                strings(properties.get(TargetDevice.ALIASES)));
        synchronized (entries) {
            List<Entry> list = entries.get(kind);
            list.removeIf(existing -> existing.serviceId() == entry.serviceId());
            list.add(entry);
        }
    }

    private void update(PluginKind kind, Object service, Map<String, Object> properties) {
        // name, ranking or aliases may have changed: replace the entry of this service id
        remove(kind, properties);
        add(kind, service, properties);
    }

    private void remove(PluginKind kind, Map<String, Object> properties) {
        Object id = properties.get(Constants.SERVICE_ID);
        synchronized (entries) {
            if (id != null) {
                long serviceId = asLong(id, -1L);
                entries.get(kind).removeIf(entry -> entry.serviceId() == serviceId);
            } else {
                String name = firstString(properties.get(kind.nameProperty()));
                entries.get(kind).removeIf(entry -> entry.info().name().equals(name));
            }
        }
    }

    private List<Entry> snapshot(PluginKind kind) {
        synchronized (entries) {
            return List.copyOf(entries.get(kind));
        }
    }

    private Optional<Entry> find(PluginKind kind, String name) {
        if (name == null) {
            return Optional.empty();
        }
        return snapshot(kind).stream()
                .filter(entry -> entry.info().name().equals(name))
                .min(PREFERRED_FIRST);
    }

    // --- PluginRegistry

    @Override
    public List<PluginInfo> plugins() {
        List<Entry> all = new ArrayList<>();
        for (PluginKind kind : PluginKind.values()) {
            all.addAll(snapshot(kind));
        }
        all.sort(Comparator.comparing((Entry entry) -> entry.info().kind())
                .thenComparing(entry -> entry.info().name())
                .thenComparing(PREFERRED_FIRST));
        return all.stream().map(Entry::info).toList();
    }

    @Override
    public Set<String> names(PluginKind kind) {
        Set<String> names = new TreeSet<>();
        snapshot(kind).forEach(entry -> names.add(entry.info().name()));
        return names;
    }

    @Override
    public Optional<PluginInfo> info(PluginKind kind, String name) {
        if (kind == PluginKind.DEVICE) {
            return findDevice(name).map(Entry::info);
        }
        return find(kind, name).map(Entry::info);
    }

    @Override
    public Optional<QuantizationAlgorithm> algorithm(String name) {
        return find(PluginKind.ALGORITHM, name).map(entry -> (QuantizationAlgorithm) entry.service());
    }

    @Override
    public Optional<Metric> metric(String name) {
        return find(PluginKind.METRIC, name).map(entry -> (Metric) entry.service());
    }

    @Override
    public Optional<DataLoader> loader(String name) {
        return find(PluginKind.LOADER, name).map(entry -> (DataLoader) entry.service());
    }

    @Override
    public Optional<TargetDevice> device(String name) {
        return findDevice(name).map(entry -> (TargetDevice) entry.service());
    }

    @Override
    public Optional<InferenceBackend> backend(String name) {
        return find(PluginKind.BACKEND, name).map(entry -> (InferenceBackend) entry.service());
    }

    @Override
    public Optional<Optimizer> optimizer(String name) {
        return find(PluginKind.OPTIMIZER, name).map(entry -> (Optimizer) entry.service());
    }

    /** Devices answer to their name or an alias, in any case (POT configs say "CPU", users type "cpu"). */
    private Optional<Entry> findDevice(String name) {
        if (name == null) {
            return Optional.empty();
        }
        List<Entry> devices = snapshot(PluginKind.DEVICE);
        Optional<Entry> byName = devices.stream()
                .filter(entry -> entry.info().name().equalsIgnoreCase(name))
                .min(PREFERRED_FIRST);
        if (byName.isPresent()) {
            return byName;
        }
        return devices.stream()
                .filter(entry -> entry.aliases().stream().anyMatch(alias -> alias.equalsIgnoreCase(name)))
                .min(PREFERRED_FIRST);
    }

    // --- service property values may be a String, a String[] or a Collection

    private static String firstString(Object value) {
        List<String> values = strings(value);
        return values.isEmpty() ? null : values.get(0);
    }

    private static List<String> strings(Object value) {
        if (value == null) {
            return List.of();
        }
        Stream<?> items;
        if (value instanceof Object[] array) {
            items = Stream.of(array);
        } else if (value instanceof Collection<?> collection) {
            items = collection.stream();
        } else {
            items = Stream.of(value);
        }
        return items.filter(item -> item != null)
                .map(item -> item.toString().trim())
                .filter(item -> !item.isEmpty())
                .toList();
    }

    private static long asLong(Object value, long fallback) {
        if (value instanceof Number number) {
            return number.longValue();
        }
        if (value instanceof String text) {
            try {
                return Long.parseLong(text.trim());
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
        return fallback;
    }

    @Override
    public String toString() {
        return "PluginRegistry" + plugins();
    }
}
