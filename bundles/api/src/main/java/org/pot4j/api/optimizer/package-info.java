/** Optimizers (TPE tuning) and the tunable algorithms whose per-layer choices they search. */
@Export
@Version("1.1.0")
package org.pot4j.api.optimizer;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
