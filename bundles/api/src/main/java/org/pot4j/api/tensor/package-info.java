/** Tensors exchanged between loaders, backends, metrics and algorithms. */
@Export
@Version("1.0.0")
package org.pot4j.api.tensor;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
