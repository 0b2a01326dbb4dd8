package org.pot4j.console.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.backend.InferenceBackend;
import org.pot4j.api.data.DataLoader;
import org.pot4j.api.device.TargetDevice;
import org.pot4j.api.metric.Metric;
import org.pot4j.api.optimizer.Optimizer;
import org.pot4j.api.registry.PluginKind;

/**
 * The plugins page's source: a whiteboard tracker of the plugin services (one dynamic reference per kind, with the
 * same name-property filter as the orchestrator's registry). Every service that comes or goes pushes the new list to
 * the open event streams ({@link LiveFeed}), so a bundle dropped into {@code deploy/} shows as soon as its component
 * registers. Only service references are kept: the tracker never gets a plugin object.
 */
@Component(service = PluginTracker.class)
public final class PluginTracker {
    private final LiveFeed feed;
    private final Map<Long, Map<String, Object>> plugins = new ConcurrentHashMap<>();

    @Activate
    public PluginTracker(@Reference LiveFeed feed) {
        this.feed = feed;
    }

    /** Every live plugin service: kind, name, bundle, version; by kind, then name. */
    List<Map<String, Object>> plugins() {
        List<Map<String, Object>> list = new ArrayList<>(plugins.values());
        list.sort(Comparator.comparing((Map<String, Object> p) -> PluginKind.valueOf(
                String.valueOf(p.get("kind")).toUpperCase(java.util.Locale.ROOT)).ordinal())
                .thenComparing(p -> String.valueOf(p.get("name"))));
        return list;
    }

    private void added(PluginKind kind, ServiceReference<?> reference) {
        Object name = reference.getProperty(kind.nameProperty());
        Bundle bundle = reference.getBundle();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("kind", kind.label());
        row.put("name", name instanceof String[] names ? String.join(", ", names) : String.valueOf(name));
        row.put("bundle", bundle == null ? null : bundle.getSymbolicName());
        row.put("version", bundle == null ? null : bundle.getVersion().toString());
        plugins.put(id(reference), row);
        changed();
    }

    private void removed(ServiceReference<?> reference) {
        if (plugins.remove(id(reference)) != null) {
            changed();
        }
    }

    private void changed() {
        feed.publish(Map.of("plugins", plugins()));
    }

    private static long id(ServiceReference<?> reference) {
        return (Long) reference.getProperty(Constants.SERVICE_ID);
    }

    @Reference(service = QuantizationAlgorithm.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            target = "(" + QuantizationAlgorithm.PROPERTY + "=*)", unbind = "removeAlgorithm")
    void addAlgorithm(ServiceReference<QuantizationAlgorithm> reference) {
        added(PluginKind.ALGORITHM, reference);
    }

    void removeAlgorithm(ServiceReference<QuantizationAlgorithm> reference) {
        removed(reference);
    }

    @Reference(service = Metric.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            target = "(" + Metric.PROPERTY + "=*)", unbind = "removeMetric")
    void addMetric(ServiceReference<Metric> reference) {
        added(PluginKind.METRIC, reference);
    }

    void removeMetric(ServiceReference<Metric> reference) {
        removed(reference);
    }

    @Reference(service = DataLoader.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            target = "(" + DataLoader.PROPERTY + "=*)", unbind = "removeLoader")
    void addLoader(ServiceReference<DataLoader> reference) {
        added(PluginKind.LOADER, reference);
    }

    void removeLoader(ServiceReference<DataLoader> reference) {
        removed(reference);
    }

    @Reference(service = TargetDevice.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            target = "(" + TargetDevice.PROPERTY + "=*)", unbind = "removeDevice")
    void addDevice(ServiceReference<TargetDevice> reference) {
        added(PluginKind.DEVICE, reference);
    }

    void removeDevice(ServiceReference<TargetDevice> reference) {
        removed(reference);
    }

    @Reference(service = InferenceBackend.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            target = "(" + InferenceBackend.PROPERTY + "=*)", unbind = "removeBackend")
    void addBackend(ServiceReference<InferenceBackend> reference) {
        added(PluginKind.BACKEND, reference);
    }

    void removeBackend(ServiceReference<InferenceBackend> reference) {
        removed(reference);
    }

    @Reference(service = Optimizer.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            target = "(" + Optimizer.PROPERTY + "=*)", unbind = "removeOptimizer")
    void addOptimizer(ServiceReference<Optimizer> reference) {
        added(PluginKind.OPTIMIZER, reference);
    }

    void removeOptimizer(ServiceReference<Optimizer> reference) {
        removed(reference);
    }
}
