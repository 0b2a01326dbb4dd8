package org.pot4j.api.optimizer;

import java.util.List;

/**
 * One categorical dimension of a search space (e.g. a layer), its choices, and the choice of the
 * reference configuration (the untuned algorithm's), which is among them.
 */
public record SearchParameter(String name, List<String> choices, String reference) {

    public SearchParameter {
        choices = List.copyOf(choices);
        if (!choices.contains(reference)) {
            throw new IllegalArgumentException("reference choice " + reference + " of " + name + " is not among "
                    + choices);
        }
    }
}
