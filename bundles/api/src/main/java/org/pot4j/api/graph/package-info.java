/** The model graph IR every algorithm edits: nodes, values, initializers, opsets. */
@Export
@Version("1.0.0")
package org.pot4j.api.graph;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
