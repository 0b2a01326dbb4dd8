package org.pot4j.api.data;

import org.pot4j.api.tensor.Tensor;

/**
 * One sample: its index in the dataset, the model input without the batch dimension (e.g.
 * [1, 28, 28] for an NCHW model taking [N, 1, 28, 28]), preprocessed, and the class label when
 * the dataset is annotated (null otherwise).
 */
public record Sample(int index, Tensor input, Integer label) {
}
