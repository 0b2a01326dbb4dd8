/**
 * The shared model library: ONNX codec ({@link org.pot4j.model.OnnxCodec}), graph utilities
 * ({@link org.pot4j.model.Graphs}, {@link org.pot4j.model.GraphIndex}, {@link org.pot4j.model.UniqueNames}),
 * weight and bias access of Conv/Gemm/MatMul layers ({@link org.pot4j.model.Layers}), the QDQ writer
 * ({@link org.pot4j.model.QdqWriter}), the layers ONNX Runtime runs faster in float ({@link org.pot4j.model.FloatStem})
 * and atomic file writes ({@link org.pot4j.model.AtomicFiles}).
 */
@Export
@Version("1.4.0")
package org.pot4j.model;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
