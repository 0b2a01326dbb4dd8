/** Metrics: accumulate over samples, report a value and per-sample values. */
@Export
@Version("2.0.0")
package org.pot4j.api.metric;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
