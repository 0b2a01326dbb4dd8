/** Jobs, their events and snapshots, and the event-sink whiteboard. */
@Export
@Version("1.1.0")
package org.pot4j.api.job;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
