/**
 * The shared model library: ONNX codec ({@link org.pot4j.model.OnnxCodec}), graph utilities
 * ({@link org.pot4j.model.Graphs}, {@link org.pot4j.model.GraphIndex}, {@link org.pot4j.model.UniqueNames})
 * and the QDQ writer ({@link org.pot4j.model.QdqWriter}).
 */
@Export
@Version("1.0.0")
package org.pot4j.model;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
