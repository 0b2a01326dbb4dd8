/** Statistic requests that algorithms declare and the results the collector returns. */
@Export
@Version("1.0.0")
package org.pot4j.api.statistics;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
