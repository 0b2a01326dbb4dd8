/** The quantization plan: which op inputs are quantized, and how. */
@Export
@Version("1.0.0")
package org.pot4j.api.plan;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
