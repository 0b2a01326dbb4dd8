package org.pot4j.api.registry;

import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.backend.InferenceBackend;
import org.pot4j.api.data.DataLoader;
import org.pot4j.api.device.TargetDevice;
import org.pot4j.api.metric.Metric;
import org.pot4j.api.optimizer.Optimizer;

/** The kinds of plugin, with the service property that names each. */
public enum PluginKind {
    ALGORITHM(QuantizationAlgorithm.PROPERTY), METRIC(Metric.PROPERTY), LOADER(DataLoader.PROPERTY),
    DEVICE(TargetDevice.PROPERTY), BACKEND(InferenceBackend.PROPERTY),
    OPTIMIZER(Optimizer.PROPERTY);

    private final String nameProperty;

    PluginKind(String nameProperty) {
        this.nameProperty = nameProperty;
    }

    public String nameProperty() {
        return nameProperty;
    }

    public String label() {
        return name().toLowerCase();
    }
}
