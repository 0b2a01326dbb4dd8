package org.pot4j.optimizer.tpe.internal;

import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.optimizer.OptimizationContext;
import org.pot4j.api.optimizer.Optimizer;
import org.pot4j.api.params.ParameterDescriptor;

/** POT's {@code Tpe} optimizer: TPE over the tunable algorithm's per-layer choices, POT's loss and best rule. */
@Component(service = Optimizer.class, property = Optimizer.PROPERTY + "=Tpe")
public final class Tpe implements Optimizer {

    @Override
    public List<ParameterDescriptor> parameters() {
        return TpeSettings.descriptors();
    }

    @Override
    public Map<String, String> optimize(OptimizationContext context) throws Exception {
        TpeSettings settings = TpeSettings.read(context.parameters(), context::warning);
        return new TuningRun(context, settings).run();
    }
}
