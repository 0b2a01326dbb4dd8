package org.pot4j.api.optimizer;

import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;
import org.pot4j.api.params.ParameterDescriptor;

/**
 * An optimizer of a job's {@code optimizer} section: it runs the job's compression algorithms as
 * trials, each with one choice per parameter of the tunable algorithm's search space, and returns
 * the choices the final model is built with. Registered with {@value #PROPERTY} = its POT name
 * (e.g. "Tpe"); the orchestrator validates the section's {@code params} against
 * {@link #parameters()} before the job is accepted.
 */
@ConsumerType
public interface Optimizer {
    String PROPERTY = "pot4j.optimizer";

    /** Declared parameters, with POT's defaults. */
    List<ParameterDescriptor> parameters();

    /** Runs the trials (or none, e.g. POT's {@code eval}) and returns the chosen value of every search parameter. */
    Map<String, String> optimize(OptimizationContext context) throws Exception;
}
