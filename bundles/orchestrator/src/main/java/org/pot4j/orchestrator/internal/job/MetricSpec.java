package org.pot4j.orchestrator.internal.job;

import org.pot4j.api.metric.Metric;
import org.pot4j.api.metric.MetricAccumulator;
import org.pot4j.api.params.Parameters;

/** A metric of a job: the live service and its validated parameters. */
record MetricSpec(String name, Metric metric, Parameters parameters) {

    MetricAccumulator newAccumulator() {
        return metric.create(parameters);
    }
}
