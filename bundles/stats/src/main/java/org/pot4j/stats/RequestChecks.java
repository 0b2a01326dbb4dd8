package org.pot4j.stats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;

/** Checks of what a caller asks the collector for, each failure a named bad input. */
final class RequestChecks {

    private RequestChecks() {
    }

    /** Every index a sample of {@code dataset}. */
    static void checkIndices(Dataset dataset, int[] indices) {
        for (int k = 0; k < indices.length; k++) {
            if (indices[k] < 0 || indices[k] >= dataset.size()) {
                throw new InvalidInputException("statistics.indices[" + k + "]", indices[k],
                        "an index in [0, " + dataset.size() + ")");
            }
        }
    }

    /** Every merged request names a tensor, reducer and aggregator, and its levels are in range. */
    static void validate(List<StatisticRequest> requests) {
        for (int i = 0; i < requests.size(); i++) {
            StatisticRequest request = requests.get(i);
            String field = "statistics[" + i + "]";
            if (request.tensor() == null || request.tensor().isBlank()) {
                throw new InvalidInputException(field + ".tensor", request.tensor(), "a tensor name");
            }
            if (request.reducer() == null) {
                throw new InvalidInputException(field + ".reducer", null, "one of " + Arrays.toString(Reducer.values()));
            }
            if (request.aggregator() == null) {
                throw new InvalidInputException(field + ".aggregator", null, "an aggregator");
            }
            if (!(request.quantile() >= 0 && request.quantile() <= 1)) {
                throw new InvalidInputException(field + ".quantile", request.quantile(), "a level in [0, 1]");
            }
            if (!(request.outlierProb() >= 0 && request.outlierProb() < 1)) {
                throw new InvalidInputException(field + ".outlier_prob", request.outlierProb(), "a fraction in [0, 1)");
            }
        }
    }

    /** Every requested tensor is an output of the caller's session. */
    static void validateAvailable(List<StatisticRequest> requests, InferenceSession session) {
        List<String> available = session.outputNames();
        for (int i = 0; i < requests.size(); i++) {
            if (!available.contains(requests.get(i).tensor())) {
                throw new InvalidInputException("statistics[" + i + "].tensor", requests.get(i).tensor(),
                        "an output of the session (open it with StatisticsCollector.tensors(requests) as extra "
                                + "outputs); it has " + available);
            }
        }
    }

    /** Every requested tensor must be a model input or a node output (what a session can return). */
    static void validateInGraph(List<StatisticRequest> requests, Graph model) {
        Set<String> available = new LinkedHashSet<>();
        model.inputs().forEach(input -> available.add(input.name()));
        // outputs of nodes inside If branches too: the collector hoists those branches (ControlFlow)
        org.pot4j.model.ControlFlow.withBranchNodes(model).nodes().forEach(node -> available.addAll(node.outputs()));
        available.remove("");
        for (int i = 0; i < requests.size(); i++) {
            if (!available.contains(requests.get(i).tensor())) {
                List<String> names = new ArrayList<>(available);
                String shown = names.size() <= 12 ? names.toString()
                        : names.subList(0, 12) + " and " + (names.size() - 12) + " more";
                throw new InvalidInputException("statistics[" + i + "].tensor", requests.get(i).tensor(),
                        "a model input or node output of the model (If branches included), e.g. " + shown);
            }
        }
    }
}
