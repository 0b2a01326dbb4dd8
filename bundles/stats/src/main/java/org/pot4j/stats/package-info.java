/**
 * One-pass activation statistics: per-sample reducers, cross-sample aggregators (POT's range
 * estimators) and the collector that runs a model once over calibration samples for many
 * consumers' {@link org.pot4j.api.statistics.StatisticRequest requests}.
 */
@Export
@Version("1.3.0")
package org.pot4j.stats;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
