package org.pot4j.loader.idx.internal;

import java.util.List;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.data.DataLoader;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.ParameterType;
import org.pot4j.api.params.Parameters;
import org.pot4j.loader.support.DataFiles;
import org.pot4j.loader.support.Layout;
import org.pot4j.loader.support.Preprocessing;

/**
 * MNIST-family IDX files (uint8 images [count, rows, cols] and uint8 labels [count]), gzipped or
 * not. Samples are [1, rows, cols] (NCHW) or [rows, cols, 1] (NHWC) floats: raw 0..255 pixels
 * passed through the preprocessing list.
 */
@Component(service = DataLoader.class, property = DataLoader.PROPERTY + "=idx")
public final class IdxDataLoader implements DataLoader {
    static final String IMAGES = "images";
    static final String LABELS = "labels";
    static final String LAYOUT = "layout";

    private static final List<ParameterDescriptor> PARAMETERS = List.of(
            ParameterDescriptor.required(IMAGES, ParameterType.PATH, "IDX images file (magic 0x00000803), .gz or plain"),
            ParameterDescriptor.optional(LABELS, ParameterType.PATH, null, "IDX labels file (magic 0x00000801), .gz or plain"),
            Preprocessing.DESCRIPTOR,
            ParameterDescriptor.choice(LAYOUT, "NCHW", Layout.NAMES, "sample layout: [1,H,W] or [H,W,1]"));

    @Override
    public List<ParameterDescriptor> parameters() {
        return PARAMETERS;
    }

    @Override
    public Dataset open(Parameters parameters) {
        Parameters p = parameters.validate(PARAMETERS);
        Preprocessing preprocessing = Preprocessing.parse(p, Preprocessing.VALUE_TYPES);
        preprocessing.checkChannels(1);
        Layout layout = Layout.valueOf(p.string(LAYOUT));
        IdxFile images = IdxFile.read(DataFiles.requireFile(p, IMAGES), p.pathOf(IMAGES), IdxFile.IMAGES_MAGIC);
        IdxFile labels = null;
        if (p.has(LABELS)) {
            labels = IdxFile.read(DataFiles.requireFile(p, LABELS), p.pathOf(LABELS), IdxFile.LABELS_MAGIC);
            if (labels.count() != images.count()) {
                throw new InvalidInputException(p.pathOf(LABELS), labels.path, "as many labels as images: "
                        + labels.count() + " labels, " + images.count() + " images in " + images.path);
            }
        }
        IdxDataset dataset = new IdxDataset(images, labels, preprocessing, layout);
        if (dataset.size() > 0) {
            dataset.get(0); // fail at open, not mid-job, when the preprocessing cannot work on these pixels
        }
        return dataset;
    }
}
