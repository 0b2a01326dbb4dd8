package org.pot4j.loader.images.internal;

import java.util.Arrays;
import java.util.List;

/** The channel order the model expects. */
enum ColorOrder {
    RGB, BGR, GRAYSCALE;

    static final List<String> NAMES = Arrays.stream(values()).map(Enum::name).toList();
}
