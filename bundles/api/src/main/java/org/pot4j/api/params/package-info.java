/** Typed, validated parameters of plugins and jobs. */
@Export
@Version("1.0.0")
package org.pot4j.api.params;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
