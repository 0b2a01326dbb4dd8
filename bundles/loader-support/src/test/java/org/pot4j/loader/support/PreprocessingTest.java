package org.pot4j.loader.support;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.params.Parameters;

class PreprocessingTest {

    private static Parameters dataset(Object... steps) {
        return new Parameters(Map.of("preprocessing", List.of(steps)), "engine.dataset", null);
    }

    @Test
    void normalizationOnRawPixelsMatchesTheModelsFormula() {
        Preprocessing p = Preprocessing.parse(dataset(Map.of("type", "normalization", "mean", 72.93, "std", 90.015)),
                Preprocessing.VALUE_TYPES);
        float[] pixels = {0, 128, 255};
        p.applyValues(pixels, 1, false);
        for (int i = 0; i < 3; i++) {
            double expected = (new double[] {0, 128, 255}[i] / 255 - 0.286) / 0.353;
            assertEquals(expected, pixels[i], 1e-5);
        }
    }

    @Test
    void perChannelPlanarAndInterleaved() {
        Preprocessing p = Preprocessing.parse(dataset(Map.of("type", "normalization", "mean", List.of(1, 2),
                "std", List.of(1, 4))), Preprocessing.VALUE_TYPES);
        float[] planar = {1, 1, 10, 10};
        p.applyValues(planar, 2, false);
        assertArrayEquals(new float[] {0, 0, 2, 2}, planar);
        float[] interleaved = {1, 10, 1, 10};
        p.applyValues(interleaved, 2, true);
        assertArrayEquals(new float[] {0, 2, 0, 2}, interleaved);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> p.checkChannels(3));
        assertEquals("engine.dataset.preprocessing[0].mean", e.field());
    }

    @Test
    void scaleThenNormalizeInListOrder() {
        Preprocessing p = Preprocessing.parse(dataset(Map.of("type", "scale", "value", 1.0 / 255),
                Map.of("type", "normalization", "mean", 0.5, "std", 0.5)), Preprocessing.VALUE_TYPES);
        float[] v = {255, 0};
        p.applyValues(v, 1, false);
        assertArrayEquals(new float[] {1, -1}, v, 1e-6f);
        assertEquals("[scale(0.00392156862745098);normalization(mean=[0.5],std=[0.5])]", p.canonical());
    }

    @Test
    void unknownTypeSuggestsTheNearest() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Preprocessing.parse(
                dataset(Map.of("type", "normalisation", "mean", 1)), Preprocessing.VALUE_TYPES));
        assertEquals("engine.dataset.preprocessing[0].type", e.field());
        assertTrue(e.getMessage().contains("did you mean 'normalization'"), e.getMessage());
        InvalidInputException geometric = assertThrows(InvalidInputException.class, () -> Preprocessing.parse(
                dataset(Map.of("type", "resize", "size", 3)), Preprocessing.VALUE_TYPES));
        assertTrue(geometric.getMessage().contains("allowed: normalization, scale"), geometric.getMessage());
    }

    @Test
    void unknownStepKeyAndZeroStdAreNamed() {
        InvalidInputException key = assertThrows(InvalidInputException.class, () -> Preprocessing.parse(
                dataset(Map.of("type", "normalization", "mean", 1, "sdt", 2)), Preprocessing.VALUE_TYPES));
        assertEquals("engine.dataset.preprocessing[0].sdt", key.field());
        assertTrue(key.getMessage().contains("did you mean 'std'"), key.getMessage());
        InvalidInputException std = assertThrows(InvalidInputException.class, () -> Preprocessing.parse(
                dataset(Map.of("type", "normalization", "std", 0)), Preprocessing.VALUE_TYPES));
        assertEquals("engine.dataset.preprocessing[0].std", std.field());
    }

    @Test
    void nonFiniteResultNamesTheStd() {
        // a tiny std overflows float: the same failure a zero std would give at apply time
        Preprocessing p = Preprocessing.parse(dataset(Map.of("type", "normalization", "mean", 0, "std", 1e-40)),
                Preprocessing.VALUE_TYPES);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> p.applyValues(new float[] {200}, 1, false));
        assertEquals("engine.dataset.preprocessing[0].std", e.field());
    }

    @Test
    void resizeAndCropSizes() {
        Preprocessing p = Preprocessing.parse(dataset(Map.of("type", "resize", "size", 256),
                Map.of("type", "crop", "dst_width", 224, "dst_height", 200), Map.of("type", "bgr_to_rgb")),
                Preprocessing.IMAGE_TYPES);
        assertEquals(new PreprocessingStep.Resize("engine.dataset.preprocessing[0]", 256, 256), p.steps().get(0));
        assertEquals(new PreprocessingStep.Crop("engine.dataset.preprocessing[1]", 224, 200), p.steps().get(1));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Preprocessing.parse(
                dataset(Map.of("type", "crop", "dst_width", 3)), Preprocessing.IMAGE_TYPES));
        assertEquals("engine.dataset.preprocessing[0].size", e.field());
    }
}
