/** Target devices and their hardware configurations. */
@Export
@Version("1.1.0")
package org.pot4j.api.device;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
