/** Sub-commands of the bin/pot command line. */
@Export
@Version("1.0.0")
package org.pot4j.api.command;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
