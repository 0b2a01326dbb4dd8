package org.pot4j.api.registry;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.osgi.annotation.versioning.ProviderType;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.backend.InferenceBackend;
import org.pot4j.api.data.DataLoader;
import org.pot4j.api.device.TargetDevice;
import org.pot4j.api.metric.Metric;
import org.pot4j.api.optimizer.Optimizer;

/** The plugins that are live now, tracked from the service registry by their name property. */
@ProviderType
public interface PluginRegistry {

    /** Every live plugin, sorted by kind then name. */
    List<PluginInfo> plugins();

    Set<String> names(PluginKind kind);

    Optional<PluginInfo> info(PluginKind kind, String name);

    Optional<QuantizationAlgorithm> algorithm(String name);

    Optional<Metric> metric(String name);

    Optional<DataLoader> loader(String name);

    /** By name or alias, case-insensitive. */
    Optional<TargetDevice> device(String name);

    Optional<InferenceBackend> backend(String name);

    Optional<Optimizer> optimizer(String name);
}
