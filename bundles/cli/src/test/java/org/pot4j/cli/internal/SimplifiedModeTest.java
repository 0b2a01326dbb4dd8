package org.pot4j.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.DataInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.loader.images.internal.ImageFolderLoader;
import org.pot4j.testsupport.TestFiles;

/** POT's simplified mode: a folder of unlabelled images, no metrics; the model still gets quantized. */
class SimplifiedModeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    /** The first {@code count} example test images written as grayscale PNG files. */
    private Path pngFolder(int count) throws Exception {
        Path folder = Files.createDirectories(temp.resolve("images"));
        try (InputStream raw = Files.newInputStream(TestFiles.example("data/test-1000-images-idx3-ubyte.gz"));
             DataInputStream in = new DataInputStream(new GZIPInputStream(raw))) {
            in.readInt();
            in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            for (int i = 0; i < count; i++) {
                BufferedImage image = new BufferedImage(cols, rows, BufferedImage.TYPE_BYTE_GRAY);
                byte[] pixels = in.readNBytes(rows * cols);
                image.getRaster().setDataElements(0, 0, cols, rows, pixels);
                ImageIO.write(image, "png", folder.resolve(String.format("%03d.png", i)).toFile());
            }
        }
        return folder;
    }

    @Test
    void quantizesFromAFolderOfImagesWithoutLabels() throws Exception {
        Path images = pngFolder(40);
        Path config = temp.resolve("simplified.json");
        Files.writeString(config, "{ \"model\": {\"model\": \"" + TestFiles.example("models/cnn_relu.onnx") + "\"},\n"
                + "  \"engine\": {\"type\": \"simplified\", \"data_source\": \"images\", \"layout\": \"NCHW\","
                + " \"color\": \"GRAYSCALE\","
                + " \"preprocessing\": [{\"type\": \"normalization\", \"mean\": 72.93, \"std\": 90.015}]},\n"
                + "  \"compression\": {\"target_device\": \"CPU\", \"algorithms\": [{\"name\": \"DefaultQuantization\","
                + " \"params\": {\"preset\": \"mixed\", \"stat_subset_size\": 40}}]} }");
        RealServer server = new RealServer();
        server.registry.bindLoader(new ImageFolderLoader(), RealServer.props("pot4j.loader", "images"));
        Path out = temp.resolve("out");
        RealServer.Run run = RealServer.run(new QuantizeCommand(server.jobs), "-c", config.toString(), "-o",
                out.toString(), "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode report = JSON.readTree(out.resolve("cnn_relu/report.json").toFile());
        assertFalse(report.has("int8"), "no metrics without annotations");
        assertEquals(40, report.get("statistics_samples").asInt());
        // 5 layers x (activation, weight) + the logits; the 1-channel first Conv stays float on CPU (float stem)
        assertEquals(11, report.get("quantization_points").size(), report.get("quantization_points").toString());
        assertTrue(report.get("ignored_nodes").toString().contains("float stem"), report.get("ignored_nodes").toString());
        assertTrue(Files.size(out.resolve("cnn_relu/optimized/cnn_relu.onnx")) > 0);
    }
}
