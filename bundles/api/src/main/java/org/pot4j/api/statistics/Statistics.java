package org.pot4j.api.statistics;

import java.util.Set;
import org.osgi.annotation.versioning.ProviderType;

/** Results of one collection pass. */
@ProviderType
public interface Statistics {

    /** The aggregated value: one element per tensor, or one per channel. Throws if not requested. */
    float[] get(StatisticRequest request);

    boolean contains(StatisticRequest request);

    Set<StatisticRequest> requests();

    /** How many samples the pass ran over. */
    int samples();
}
