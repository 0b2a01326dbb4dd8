package org.pot4j.loader.support;

import java.util.List;

/** Where the channel axis of one sample goes: [C, H, W] (NCHW models) or [H, W, C] (NHWC models). */
public enum Layout {
    NCHW, NHWC;

    public static final List<String> NAMES = List.of("NCHW", "NHWC");

    public boolean channelsLast() {
        return this == NHWC;
    }

    /** The sample shape (no batch dimension) for this layout. */
    public long[] sampleShape(int channels, int height, int width) {
        return this == NCHW ? new long[] {channels, height, width} : new long[] {height, width, channels};
    }

    /** Reorders an interleaved [H, W, C] buffer into this layout (a copy for NCHW, the same array for NHWC). */
    public float[] fromInterleaved(float[] hwc, int channels, int height, int width) {
        if (this == NHWC || channels == 1) {
            return hwc;
        }
        float[] chw = new float[hwc.length];
        int plane = height * width;
        for (int p = 0; p < plane; p++) {
            for (int c = 0; c < channels; c++) {
                chw[c * plane + p] = hwc[p * channels + c];
            }
        }
        return chw;
    }
}
