/** The live plugin registry. */
@Export
@Version("1.1.0")
package org.pot4j.api.registry;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
