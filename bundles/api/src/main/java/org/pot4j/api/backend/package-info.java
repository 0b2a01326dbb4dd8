/** Inference backends: open a session on a model, run it, with extra outputs. */
@Export
@Version("1.0.0")
package org.pot4j.api.backend;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
