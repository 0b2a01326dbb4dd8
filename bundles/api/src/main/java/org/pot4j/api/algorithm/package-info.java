/** Quantization algorithms and the context the orchestrator gives them. */
@Export
@Version("1.1.0")
package org.pot4j.api.algorithm;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
