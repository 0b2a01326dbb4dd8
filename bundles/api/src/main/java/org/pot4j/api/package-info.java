/** Errors shared by every pot4j bundle. */
@Export
@Version("1.0.0")
package org.pot4j.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
