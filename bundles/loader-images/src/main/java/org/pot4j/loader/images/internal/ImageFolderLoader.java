package org.pot4j.loader.images.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
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
 * A folder of JPEG/PNG/BMP images. With class sub-folders (ImageNet style) the sorted folder
 * names give the label indices; with the images directly in the folder the dataset has no labels
 * (POT's simplified mode). Which one is decided by the folder's content.
 */
@Component(service = DataLoader.class, property = DataLoader.PROPERTY + "=images")
public final class ImageFolderLoader implements DataLoader {
    static final String DATA_SOURCE = "data_source";
    static final String LAYOUT = "layout";
    static final String COLOR = "color";
    static final List<String> EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp");

    private static final List<ParameterDescriptor> PARAMETERS = List.of(
            ParameterDescriptor.required(DATA_SOURCE, ParameterType.PATH,
                    "folder of images, or of class sub-folders of images (labels = sorted folder index)"),
            ParameterDescriptor.choice(LAYOUT, "NCHW", Layout.NAMES, "sample layout: [C,H,W] or [H,W,C]"),
            ParameterDescriptor.choice(COLOR, "RGB", ColorOrder.NAMES, "channel order the model expects"),
            ParameterDescriptor.optional(Preprocessing.KEY, ParameterType.LIST, null,
                    "steps in order: resize (size | dst_width+dst_height), crop (center), bgr_to_rgb, normalization, scale"));

    @Override
    public List<ParameterDescriptor> parameters() {
        return PARAMETERS;
    }

    @Override
    public Dataset open(Parameters parameters) {
        Parameters p = parameters.validate(PARAMETERS);
        Preprocessing preprocessing = Preprocessing.parse(p, Preprocessing.IMAGE_TYPES);
        ColorOrder color = ColorOrder.valueOf(p.string(COLOR));
        Layout layout = Layout.valueOf(p.string(LAYOUT));
        preprocessing.checkChannels(color == ColorOrder.GRAYSCALE ? 1 : 3);
        Path root = DataFiles.requireDirectory(p, DATA_SOURCE);
        String field = p.pathOf(DATA_SOURCE);

        List<Path> topImages = new ArrayList<>();
        List<Path> classFolders = new ArrayList<>();
        for (Path entry : list(root, field)) {
            if (Files.isDirectory(entry)) {
                classFolders.add(entry);
            } else if (isImage(entry)) {
                topImages.add(entry);
            }
        }
        List<ImageFolderDataset.Entry> entries = new ArrayList<>();
        boolean annotated = topImages.isEmpty() && !classFolders.isEmpty();
        if (annotated) {
            for (int label = 0; label < classFolders.size(); label++) {
                for (Path image : list(classFolders.get(label), field)) {
                    if (Files.isRegularFile(image) && isImage(image)) {
                        entries.add(new ImageFolderDataset.Entry(image, label));
                    }
                }
            }
        } else {
            topImages.forEach(image -> entries.add(new ImageFolderDataset.Entry(image, null)));
            // sub-folders beside images are ignored, as in POT's simplified mode, but never silently with images inside
            for (Path folder : classFolders) {
                if (list(folder, field).stream().anyMatch(ImageFolderLoader::isImage)) {
                    throw new InvalidInputException(field, root, "either images directly in the folder (no labels) or"
                            + " class sub-folders of images (labels), not both: " + folder.getFileName()
                            + " holds images and " + topImages.get(0).getFileName() + " is directly inside");
                }
            }
        }
        if (entries.isEmpty()) {
            throw new InvalidInputException(field, root, "a folder with images (" + String.join(" ", EXTENSIONS)
                    + ") directly inside or in class sub-folders; found none");
        }
        List<String> classNames = annotated ? classFolders.stream().map(f -> f.getFileName().toString()).toList() : List.of();
        ImageFolderDataset dataset = new ImageFolderDataset(root, field, List.copyOf(entries), classNames, annotated,
                preprocessing, color, layout);
        dataset.get(0); // decode one image now: fixes the sample shape and fails early on bad preprocessing
        return dataset;
    }

    private static boolean isImage(Path path) {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        return !name.startsWith(".") && EXTENSIONS.stream().anyMatch(name::endsWith);
    }

    /** Entries sorted by name, hidden ones left out. */
    private static List<Path> list(Path folder, String field) {
        try (Stream<Path> stream = Files.list(folder)) {
            return stream.filter(path -> !path.getFileName().toString().startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new InvalidInputException(field, folder, "a readable folder (" + e + ")", e);
        }
    }
}
