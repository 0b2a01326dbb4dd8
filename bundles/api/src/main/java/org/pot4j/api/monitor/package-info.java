/**
 * What operators and the console watch: the recorded state of every job of a group of servers ({@link JobDirectory},
 * which tells every {@link JobRecordListener} of each new state) and metrics a bundle contributes to {@code /metrics}
 * ({@link MetricSource}). All are whiteboard services: the console tracks directories and sources, a directory
 * tracks listeners; nobody looks anybody up.
 */
@Export
@Version("1.0.0")
package org.pot4j.api.monitor;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
