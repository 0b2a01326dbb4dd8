/**
 * What operators and the console watch: the recorded state of every job of a group of servers ({@link JobDirectory})
 * and metrics a bundle contributes to {@code /metrics} ({@link MetricSource}). Both are whiteboard services: the
 * console tracks them; their providers never look the console up.
 */
@Export
@Version("1.0.0")
package org.pot4j.api.monitor;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
