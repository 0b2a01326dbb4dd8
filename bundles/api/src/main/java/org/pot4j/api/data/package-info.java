/** Data loaders and datasets: random access to samples with optional annotations. */
@Export
@Version("2.0.0")
package org.pot4j.api.data;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
