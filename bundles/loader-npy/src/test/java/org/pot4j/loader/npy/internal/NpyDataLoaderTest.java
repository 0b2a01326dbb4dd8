package org.pot4j.loader.npy.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.api.data.Sample;
import org.pot4j.api.params.Parameters;

class NpyDataLoaderTest {
    @TempDir
    Path temp;

    private final NpyDataLoader loader = new NpyDataLoader();

    private Dataset open(Map<String, Object> values) {
        return loader.open(new Parameters(values, "engine.dataset", temp));
    }

    private InvalidInputException fails(Map<String, Object> values) {
        return assertThrows(InvalidInputException.class, () -> open(values));
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(temp.resolve(name), bytes);
    }

    /** 4 samples of shape [1, 2, 3]: element value = 100*sample + flat index within the sample. */
    private static float[] ramp() {
        float[] values = new float[24];
        for (int i = 0; i < 24; i++) {
            values[i] = 100 * (i / 6) + i % 6;
        }
        return values;
    }

    @Test
    void float32RoundTripWithLabelsAndNormalization() throws IOException {
        write("x.npy", NpyWriter.npy("<f4", new long[] {4, 1, 2, 3}, false, 1, NpyWriter.f4(ramp())));
        write("y.npy", NpyWriter.npy("<i8", new long[] {4}, false, 1, NpyWriter.i8(3, 0, 7, 1)));
        Dataset dataset = open(Map.of("data", "x.npy", "labels", "y.npy",
                "preprocessing", List.of(Map.of("type", "normalization", "mean", 1, "std", 2))));
        assertEquals(4, dataset.size());
        assertTrue(dataset.annotated());
        Sample third = dataset.get(2);
        assertArrayEquals(new long[] {1, 2, 3}, third.input().shape());
        assertEquals(7, third.label());
        assertArrayEquals(new float[] {99.5f, 100, 100.5f, 101, 101.5f, 102}, third.input().floats());
        // get() must not modify the stored array: a second read gives the same values
        assertArrayEquals(third.input().floats(), dataset.get(2).input().floats());
    }

    @Test
    void otherDtypesAndVersion2Header() throws IOException {
        write("f8.npy", NpyWriter.npy("<f8", new long[] {2, 2}, false, 2, NpyWriter.f8(1.5, -2, 3, 4)));
        assertArrayEquals(new float[] {3, 4}, open(Map.of("data", "f8.npy")).get(1).input().floats());
        write("u1.npy", NpyWriter.npy("|u1", new long[] {2, 2}, false, 1, new byte[] {0, (byte) 255, 7, 8}));
        Dataset u1 = open(Map.of("data", "u1.npy", "preprocessing", List.of(Map.of("type", "scale", "value", 1.0 / 255))));
        assertArrayEquals(new float[] {0, 1}, u1.get(0).input().floats(), 1e-7f);
        write("i4.npy", NpyWriter.npy("<i4", new long[] {3}, false, 1, NpyWriter.i4(-5, 6, 7)));
        Sample scalar = open(Map.of("data", "i4.npy")).get(0);
        assertEquals(0, scalar.input().rank());
        assertEquals(org.pot4j.api.tensor.DataType.INT32, scalar.input().type(), "integers keep their dtype");
        assertEquals(-5L, scalar.input().toLongs()[0]);
        write("labels_u1.npy", NpyWriter.npy("|u1", new long[] {3, 1}, false, 1, new byte[] {2, 1, 0}));
        assertEquals(0, open(Map.of("data", "i4.npy", "labels", "labels_u1.npy")).get(2).label());
    }

    @Test
    void npzSelectsTheArrayByKey() throws IOException {
        byte[] x = NpyWriter.npy("<f4", new long[] {4, 1, 2, 3}, false, 1, NpyWriter.f4(ramp()));
        byte[] other = NpyWriter.npy("<f4", new long[] {1, 1}, false, 1, NpyWriter.f4(9));
        Map<String, byte[]> arrays = new LinkedHashMap<>();
        arrays.put("images", x);
        arrays.put("other", other);
        NpyWriter.npz(temp.resolve("both.npz"), arrays, true);
        Dataset dataset = open(Map.of("data", "both.npz", "array", "images"));
        assertEquals(4, dataset.size());
        assertArrayEquals(new float[] {300, 301, 302, 303, 304, 305}, dataset.get(3).input().floats());
        assertFalse(dataset.annotated());
        assertNull(dataset.get(0).label());

        // without "array" every array is an input: here their sample counts differ
        InvalidInputException counts = fails(Map.of("data", "both.npz"));
        assertEquals("engine.dataset.data", counts.field());
        assertTrue(counts.getMessage().contains("[other] has 1 samples") && counts.getMessage().contains("has 4"),
                counts.getMessage());
        InvalidInputException typo = fails(Map.of("data", "both.npz", "array", "imgaes"));
        assertTrue(typo.getMessage().contains("did you mean 'images'"), typo.getMessage());

        NpyWriter.npz(temp.resolve("one.npz"), Map.of("arr_0", x), false);
        assertEquals(4, open(Map.of("data", "one.npz")).size());
        write("x.npy", x);
        assertEquals("engine.dataset.array", fails(Map.of("data", "x.npy", "array", "images")).field());
    }

    @Test
    void perChannelNormalizationFollowsTheLayout() throws IOException {
        // one sample [2, 2, 2]: channels first (NCHW) -> planes {1,1,1,1},{10,10,10,10}
        float[] planar = {1, 1, 1, 1, 10, 10, 10, 10};
        write("nchw.npy", NpyWriter.npy("<f4", new long[] {1, 2, 2, 2}, false, 1, NpyWriter.f4(planar)));
        Map<String, Object> norm = Map.of("type", "normalization", "mean", List.of(1, 10), "std", List.of(1, 2));
        assertArrayEquals(new float[8], open(Map.of("data", "nchw.npy", "preprocessing", List.of(norm))).get(0).input().floats());
        float[] interleaved = {1, 10, 1, 10, 1, 10, 1, 10};
        write("nhwc.npy", NpyWriter.npy("<f4", new long[] {1, 2, 2, 2}, false, 1, NpyWriter.f4(interleaved)));
        assertArrayEquals(new float[8], open(Map.of("data", "nhwc.npy", "layout", "NHWC",
                "preprocessing", List.of(norm))).get(0).input().floats());
        write("three.npy", NpyWriter.npy("<f4", new long[] {1, 3, 1, 1}, false, 1, NpyWriter.f4(1, 2, 3)));
        assertEquals("engine.dataset.preprocessing[0].mean",
                fails(Map.of("data", "three.npy", "preprocessing", List.of(norm))).field());
    }

    @Test
    void nanInDataNamesFileAndIndex() throws IOException {
        float[] values = ramp();
        values[2 * 6 + 4] = Float.NaN; // sample 2, element [0, 1, 1]
        write("nan.npy", NpyWriter.npy("<f4", new long[] {4, 1, 2, 3}, false, 1, NpyWriter.f4(values)));
        InvalidInputException e = fails(Map.of("data", "nan.npy"));
        assertEquals("engine.dataset.data", e.field());
        assertTrue(e.getMessage().contains("nan.npy"), e.getMessage());
        assertTrue(e.getMessage().contains("element [2, 0, 1, 1] (sample 2) is NaN"), e.getMessage());
        write("inf.npy", NpyWriter.npy("<f8", new long[] {2}, false, 1, NpyWriter.f8(1, 1e300)));
        assertTrue(fails(Map.of("data", "inf.npy")).getMessage().contains("element [1]"));
    }

    @Test
    void formatErrorsAreNamed() throws IOException {
        write("fortran.npy", NpyWriter.npy("<f4", new long[] {2, 2}, true, 1, NpyWriter.f4(1, 2, 3, 4)));
        assertTrue(fails(Map.of("data", "fortran.npy")).getMessage().contains("fortran_order True"));
        write("big.npy", NpyWriter.npy(">f4", new long[] {1}, false, 1, new byte[4]));
        assertTrue(fails(Map.of("data", "big.npy")).getMessage().contains("found '>f4'"));
        byte[] full = NpyWriter.npy("<f4", new long[] {4, 1, 2, 3}, false, 1, NpyWriter.f4(ramp()));
        write("short.npy", java.util.Arrays.copyOf(full, full.length - 5));
        assertTrue(fails(Map.of("data", "short.npy")).getMessage().contains("needs 96 data bytes but only 91"));
        write("text.npy", "not numpy".getBytes());
        assertTrue(fails(Map.of("data", "text.npy")).getMessage().contains("\\x93NUMPY"));
        InvalidInputException missing = fails(Map.of("data", "absent.npy"));
        assertEquals("engine.dataset.data", missing.field());
        assertTrue(missing.getMessage().contains(temp.resolve("absent.npy").toString()), missing.getMessage());
        InvalidInputException typo = fails(Map.of("data", "x.npy", "lables", "y.npy"));
        assertTrue(typo.getMessage().contains("did you mean 'labels'"), typo.getMessage());
        assertEquals("engine.dataset.data", fails(Map.of()).field());
    }

    @Test
    void labelErrors() throws IOException {
        write("x.npy", NpyWriter.npy("<f4", new long[] {3, 1}, false, 1, NpyWriter.f4(1, 2, 3)));
        write("two.npy", NpyWriter.npy("<i8", new long[] {2}, false, 1, NpyWriter.i8(1, 2)));
        assertTrue(fails(Map.of("data", "x.npy", "labels", "two.npy")).getMessage().contains("2 labels, 3 samples"));
        write("negative.npy", NpyWriter.npy("<i4", new long[] {3}, false, 1, NpyWriter.i4(1, -1, 2)));
        InvalidInputException negative = fails(Map.of("data", "x.npy", "labels", "negative.npy"));
        assertEquals("engine.dataset.labels", negative.field());
        assertTrue(negative.getMessage().contains("label 1 is -1"), negative.getMessage());
        // a label beyond int (which an int cast would wrap to 1) is an error that says what is allowed
        write("huge.npy", NpyWriter.npy("<i8", new long[] {3}, false, 1, NpyWriter.i8(1, (1L << 32) + 1, 2)));
        InvalidInputException huge = fails(Map.of("data", "x.npy", "labels", "huge.npy"));
        assertTrue(huge.getMessage().contains("label 1 is 4294967297"), huge.getMessage());
        assertTrue(huge.getMessage().contains("from 0 to 2147483647"), huge.getMessage());
        write("float.npy", NpyWriter.npy("<f4", new long[] {3}, false, 1, NpyWriter.f4(1, 2, 3)));
        assertTrue(fails(Map.of("data", "x.npy", "labels", "float.npy")).getMessage().contains("integer labels"));
    }

    @Test
    void identityFollowsContentAndPreprocessing() throws IOException {
        write("x.npy", NpyWriter.npy("<f4", new long[] {4, 1, 2, 3}, false, 1, NpyWriter.f4(ramp())));
        Map<String, Object> values = new HashMap<>(Map.of("data", "x.npy"));
        String first = open(values).identity();
        assertEquals(first, open(values).identity());
        values.put("preprocessing", List.of(Map.of("type", "scale", "value", 2)));
        assertNotEquals(first, open(values).identity());
        float[] changed = ramp();
        changed[0] = 42;
        write("x.npy", NpyWriter.npy("<f4", new long[] {4, 1, 2, 3}, false, 1, NpyWriter.f4(changed)));
        values.remove("preprocessing");
        assertNotEquals(first, open(values).identity());
    }

    @Test
    void filesWrittenByNumpy() throws Exception {
        Path folder = Path.of(getClass().getResource("/numpy/x_f4.npy").toURI()).getParent();
        float[] expected = new float[12];
        for (int i = 0; i < 12; i++) {
            expected[i] = (float) (12 + i) / 7f;
        }
        Parameters f4 = new Parameters(Map.of("data", "x_f4.npy", "labels", "y_i8.npy"), "engine.dataset", folder);
        Dataset dataset = loader.open(f4);
        assertArrayEquals(new long[] {3, 4}, dataset.get(1).input().shape());
        assertArrayEquals(expected, dataset.get(1).input().floats());
        assertEquals(9, dataset.get(1).label());
        assertArrayEquals(expected, loader.open(new Parameters(Map.of("data", "x_f8.npy"), "engine.dataset", folder))
                .get(1).input().floats());
        assertArrayEquals(expected, loader.open(new Parameters(Map.of("data", "xy.npz", "array", "images"),
                "engine.dataset", folder)).get(1).input().floats());
        InvalidInputException fortran = assertThrows(InvalidInputException.class,
                () -> loader.open(new Parameters(Map.of("data", "x_fortran.npy"), "engine.dataset", folder)));
        assertTrue(fortran.getMessage().contains("fortran_order True"), fortran.getMessage());
    }

    /** input_ids int64 [3, 4], attention_mask int64 [3, 4], features float32 [3, 2]: sample i holds i in each. */
    private Map<String, byte[]> threeInputs(int samples) {
        long[] ids = new long[samples * 4];
        float[] features = new float[samples * 2];
        for (int i = 0; i < ids.length; i++) ids[i] = 10 * (i / 4) + i % 4;
        for (int i = 0; i < features.length; i++) features[i] = i / 2;
        Map<String, byte[]> arrays = new LinkedHashMap<>();
        arrays.put("input_ids", NpyWriter.npy("<i8", new long[] {samples, 4}, false, 1, NpyWriter.i8(ids)));
        arrays.put("attention_mask", NpyWriter.npy("|b1", new long[] {samples, 4}, false, 1, new byte[samples * 4]));
        arrays.put("features", NpyWriter.npy("<f4", new long[] {samples, 2}, false, 1, NpyWriter.f4(features)));
        return arrays;
    }

    @Test
    void npzWithOneArrayPerInputKeepsNamesAndDtypes() throws IOException {
        NpyWriter.npz(temp.resolve("inputs.npz"), threeInputs(3), true);
        Dataset dataset = open(Map.of("data", "inputs.npz",
                "preprocessing", List.of(Map.of("type", "scale", "value", 0.5))));
        assertEquals(3, dataset.size());
        Sample second = dataset.get(1);
        assertEquals(List.of("input_ids", "attention_mask", "features"), List.copyOf(second.inputs().keySet()));
        assertEquals(org.pot4j.api.tensor.DataType.INT64, second.inputs().get("input_ids").type());
        assertArrayEquals(new long[] {10, 11, 12, 13}, second.inputs().get("input_ids").toLongs(),
                "preprocessing leaves integer inputs alone");
        assertEquals(org.pot4j.api.tensor.DataType.BOOL, second.inputs().get("attention_mask").type());
        assertArrayEquals(new float[] {0.5f, 0.5f}, second.inputs().get("features").floats(),
                "and scales the float one");
        assertThrows(IllegalStateException.class, second::input, "several inputs: input() refuses");
    }

    @Test
    void oneNpyPerInputAndAFolderOfPerSampleFilesGiveTheSameSamples() throws IOException {
        Map<String, byte[]> arrays = threeInputs(3);
        Map<String, Object> files = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> entry : arrays.entrySet()) {
            write(entry.getKey() + ".npy", entry.getValue());
            files.put(entry.getKey(), entry.getKey() + ".npy");
        }
        Dataset perInput = open(Map.of("data", files));
        Path folder = Files.createDirectories(temp.resolve("samples"));
        for (int sample = 0; sample < 3; sample++) {
            Files.write(folder.resolve("s" + sample + ".input_ids.npy"), NpyWriter.npy("<i8", new long[] {4}, false, 1,
                    NpyWriter.i8(10 * sample, 10 * sample + 1, 10 * sample + 2, 10 * sample + 3)));
            Map<String, byte[]> rest = new LinkedHashMap<>();
            rest.put("attention_mask", NpyWriter.npy("|b1", new long[] {4}, false, 1, new byte[4]));
            rest.put("features", NpyWriter.npy("<f4", new long[] {2}, false, 1, NpyWriter.f4(sample, sample)));
            NpyWriter.npz(folder.resolve("s" + sample + ".npz"), rest, false);
        }
        Dataset perSample = open(Map.of("data", "samples"));
        assertEquals(3, perSample.size());
        for (int i = 0; i < 3; i++) {
            for (String input : List.of("input_ids", "attention_mask", "features")) {
                Sample a = perInput.get(i);
                Sample b = perSample.get(i);
                assertEquals(a.inputs().get(input).type(), b.inputs().get(input).type(), input);
                assertArrayEquals(a.inputs().get(input).shape(), b.inputs().get(input).shape(), input);
                assertArrayEquals(a.inputs().get(input).toFloats(), b.inputs().get(input).toFloats(), input);
            }
        }
        // a sample that lacks an input is named
        Files.delete(folder.resolve("s2.npz"));
        InvalidInputException missing = fails(Map.of("data", "samples"));
        assertTrue(missing.getMessage().contains("sample 's2' has inputs [input_ids]"), missing.getMessage());
    }

    @Test
    void annotationsAreTensorsOrNamedFields() throws IOException {
        write("x.npy", NpyWriter.npy("<f4", new long[] {4, 1, 2, 3}, false, 1, NpyWriter.f4(ramp())));
        write("targets.npy", NpyWriter.npy("<f4", new long[] {4, 2}, false, 1, NpyWriter.f4(0, 1, 2, 3, 4, 5, 6, 7)));
        Dataset tensor = open(Map.of("data", "x.npy", "annotations", "targets.npy"));
        assertTrue(tensor.annotated());
        org.pot4j.api.data.Annotation third = tensor.get(2).annotation();
        assertArrayEquals(new float[] {4, 5}, ((org.pot4j.api.data.Annotation.TensorValue) third).value().floats());
        assertNull(tensor.get(2).label(), "not a class label");
        Map<String, byte[]> fields = new LinkedHashMap<>();
        fields.put("boxes", NpyWriter.npy("<f4", new long[] {4, 2}, false, 1, NpyWriter.f4(0, 1, 2, 3, 4, 5, 6, 7)));
        fields.put("classes", NpyWriter.npy("<i8", new long[] {4}, false, 1, NpyWriter.i8(3, 2, 1, 0)));
        NpyWriter.npz(temp.resolve("fields.npz"), fields, false);
        org.pot4j.api.data.Annotation.Structured structured = (org.pot4j.api.data.Annotation.Structured)
                open(Map.of("data", "x.npy", "annotations", "fields.npz")).get(3).annotation();
        assertArrayEquals(new long[] {0}, structured.tensor("classes").toLongs());
        write("short.npy", NpyWriter.npy("<f4", new long[] {3}, false, 1, NpyWriter.f4(0, 1, 2)));
        InvalidInputException count = fails(Map.of("data", "x.npy", "annotations", "short.npy"));
        assertEquals("engine.dataset.annotations", count.field());
    }

    @Test
    void aStateWithItsSampleAxisInsideKeepsItWithSizeOne() throws IOException {
        Map<String, byte[]> arrays = new LinkedHashMap<>();
        arrays.put("x", NpyWriter.npy("<f4", new long[] {3, 2}, false, 1, NpyWriter.f4(0, 1, 10, 11, 20, 21)));
        // h0 [layers 2, samples 3, hidden 2]: sample 1 is h0[:, 1:2, :]
        arrays.put("h0", NpyWriter.npy("<f4", new long[] {2, 3, 2}, false, 1,
                NpyWriter.f4(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)));
        NpyWriter.npz(temp.resolve("rnn.npz"), arrays, false);
        Dataset dataset = open(Map.of("data", "rnn.npz", "sample_axis", Map.of("h0", 1)));
        assertEquals(3, dataset.size());
        Sample second = dataset.get(1);
        assertArrayEquals(new long[] {2}, second.inputs().get("x").shape());
        assertArrayEquals(new long[] {2, 1, 2}, second.inputs().get("h0").shape());
        assertArrayEquals(new float[] {2, 3, 8, 9}, second.inputs().get("h0").floats());
        InvalidInputException axis = fails(Map.of("data", "rnn.npz", "sample_axis", Map.of("h0", 3)));
        assertEquals("engine.dataset.sample_axis.h0", axis.field());
        InvalidInputException counts = fails(Map.of("data", "rnn.npz"));
        assertTrue(counts.getMessage().contains("has 2 samples on axis 0"), counts.getMessage());
    }

    @Test
    void aPlainNpyReadFromDiskGivesTheSamplesOfTheSameArrayHeldInMemory() throws IOException {
        // a plain .npy is read a sample at a time from its file, the same array inside an .npz is read whole: every
        // dtype, preprocessing and a sample axis inside must give identical tensors
        java.util.Random random = new java.util.Random(18);
        double[] doubles = new double[5 * 2 * 3];
        long[] longs = new long[doubles.length];
        byte[] bytes = new byte[doubles.length];
        for (int i = 0; i < doubles.length; i++) {
            doubles[i] = random.nextGaussian() * 1e3;
            longs[i] = random.nextLong();
            bytes[i] = (byte) random.nextInt(256);
        }
        long[] shape = {5, 2, 3};
        Map<String, byte[]> arrays = new LinkedHashMap<>();
        arrays.put("f8", NpyWriter.npy("<f8", shape, false, 1, NpyWriter.f8(doubles)));
        arrays.put("i8", NpyWriter.npy("<i8", shape, false, 2, NpyWriter.i8(longs)));
        arrays.put("u1", NpyWriter.npy("|u1", shape, false, 1, bytes));
        arrays.put("b1", NpyWriter.npy("|b1", shape, false, 3, bytes));
        List<Map<String, Object>> normalization = List.of(Map.of("type", "normalization", "mean", 3, "std", 7));
        for (Map.Entry<String, byte[]> array : arrays.entrySet()) {
            write(array.getKey() + ".npy", array.getValue());
            NpyWriter.npz(temp.resolve(array.getKey() + ".npz"), Map.of("a", array.getValue()), false);
            for (Map<String, Object> extra : List.<Map<String, Object>>of(Map.of(), Map.of("sample_axis", 1),
                    Map.of("preprocessing", normalization))) {
                if (extra.containsKey("preprocessing") && array.getKey().equals("b1")) {
                    continue; // bool is not a value preprocessing takes
                }
                Map<String, Object> onDisk = new LinkedHashMap<>(extra);
                onDisk.put("data", array.getKey() + ".npy");
                Map<String, Object> inMemory = new LinkedHashMap<>(extra);
                inMemory.put("data", array.getKey() + ".npz");
                inMemory.put("array", "a");
                try (Dataset disk = open(onDisk); Dataset memory = open(inMemory)) {
                    assertEquals(memory.size(), disk.size());
                    assertNotEquals(memory.identity(), disk.identity(), "an .npz is not the .npy it holds");
                    for (int i = memory.size() - 1; i >= 0; i--) {
                        Tensor expected = memory.get(i).input();
                        Tensor actual = disk.get(i).input();
                        String what = array.getKey() + " " + extra + " sample " + i;
                        assertEquals(expected.type(), actual.type(), what);
                        assertArrayEquals(expected.shape(), actual.shape(), what);
                        assertTrue(java.util.Objects.deepEquals(expected.data(), actual.data()), what);
                    }
                }
            }
        }
        // the identity still hashes the whole file: the same bytes under another name give the same samples
        write("copy.npy", arrays.get("f8"));
        try (Dataset a = open(Map.of("data", "f8.npy")); Dataset b = open(Map.of("data", "copy.npy"))) {
            assertEquals(a.identity(), b.identity());
        }
        Dataset closed = open(Map.of("data", "f8.npy"));
        closed.close();
        assertThrows(RuntimeException.class, () -> closed.get(0), "a closed dataset's file is closed");
    }
}
