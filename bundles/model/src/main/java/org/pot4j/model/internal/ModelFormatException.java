package org.pot4j.model.internal;

/** A model the codec cannot represent; OnnxCodec turns it into a MODEL_ERROR naming the source. */
public final class ModelFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ModelFormatException(String message) {
        super(message);
    }
}
