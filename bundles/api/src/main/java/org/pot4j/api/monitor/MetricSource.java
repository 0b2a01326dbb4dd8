package org.pot4j.api.monitor;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard: metrics a bundle adds to the console's {@code /metrics}. Called on each scrape, from a request thread:
 * return the current values quickly, without I/O.
 */
@ConsumerType
public interface MetricSource {

    /** The families this source has now; a family name must not be used by another source. */
    List<MetricFamily> metrics();
}
