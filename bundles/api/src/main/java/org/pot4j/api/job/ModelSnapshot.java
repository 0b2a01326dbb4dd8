package org.pot4j.api.job;

import java.util.Map;

/** A model produced by a job: intermediate ({@code isFinal} false) or the final one, as ONNX bytes. */
public record ModelSnapshot(String jobId, String snapshotId, String label, boolean isFinal, byte[] model,
                            Map<String, Double> metrics) {
}
