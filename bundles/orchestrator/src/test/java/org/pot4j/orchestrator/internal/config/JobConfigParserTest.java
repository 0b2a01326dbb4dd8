package org.pot4j.orchestrator.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.api.InvalidInputException;
import org.pot4j.config.support.ConfigFiles;

class JobConfigParserTest {
    private static final Path BASE = Path.of("/configs/team");

    private static JobConfig parse(String json) {
        return JobConfigParser.parse(ConfigFiles.parse(json, "test.json"), BASE);
    }

    private static final String VALID = """
            // POT-style, comments allowed
            { "model": {"model_name": "cnn_relu", "model": "../models/cnn_relu.onnx"},
              "engine": {
                "type": "accuracy_checker",
                "dataset": {"loader": "idx", "images": "data/t10k.gz", "labels": "data/labels.gz",
                            "preprocessing": [{"type": "normalization", "mean": 72.93, "std": 90.015}]},
                "calibration_dataset": {"loader": "idx", "images": "data/calib.gz"},
                "metrics": [{"name": "accuracy", "top_k": 1}] },
              "compression": {"target_device": "cpu",
                              "algorithms": [{"name": "DefaultQuantization", "params": {"preset": "performance"}}]} }
            """;

    @Test
    void parsesSectionsAndResolvesPathsAgainstTheConfigFolder() {
        JobConfig config = parse(VALID);
        assertEquals("cnn_relu", config.modelName());
        assertEquals(Path.of("/configs/models/cnn_relu.onnx"), config.modelPath());
        assertEquals("idx", config.dataset().loader());
        assertEquals(Path.of("/configs/team/data/t10k.gz"), config.dataset().parameters().path("images"));
        assertTrue(!config.dataset().parameters().has("loader"), "loader name is not a loader parameter");
        assertEquals("idx", config.statisticsDataset().loader());
        assertEquals(Path.of("/configs/team/data/calib.gz"), config.statisticsDataset().parameters().path("images"));
        assertEquals("accuracy", config.metrics().get(0).name());
        assertEquals(1L, config.metrics().get(0).parameters().integer("top_k"));
        assertEquals("CPU", config.targetDevice());
        assertEquals("DefaultQuantization", config.algorithms().get(0).name());
        assertEquals("performance", config.algorithms().get(0).parameters().string("preset"));
        assertEquals("compression.algorithms[0].params", config.algorithms().get(0).parameters().path());
    }

    @Test
    void modelNameDefaultsToTheFileName() {
        JobConfig config = parse("{\"model\": {\"model\": \"m/mobilenet_v2_tiny.onnx\"}}");
        assertEquals("mobilenet_v2_tiny", config.modelName());
        assertEquals("ANY", config.targetDevice());
        assertNull(config.dataset(), "no engine section, no dataset");
    }

    @Test
    void statRequestsNumberIsPotsParallelStatisticsRequests() {
        assertEquals(1, parse("{\"model\": {\"model\": \"a.onnx\"}}").statisticsRequests(), "one unless set");
        assertEquals(2, parse("{\"model\": {\"model\": \"a.onnx\"}, \"engine\": {\"type\": \"data_free\","
                + " \"stat_requests_number\": 2}}").statisticsRequests());
        for (String bad : new String[] {"0", "2.5", "\"two\"", "65"}) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> parse("{\"model\": {\"model\":"
                    + " \"a.onnx\"}, \"engine\": {\"type\": \"data_free\", \"stat_requests_number\": " + bad + "}}"));
            assertEquals("engine.stat_requests_number", e.field(), bad);
            assertTrue(e.getMessage().contains("parallel inference requests"), e.getMessage());
        }
    }

    @Test
    void unknownKeySuggestsTheNearestName() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> parse("{\"model\": {\"model\": \"a.onnx\"}, \"enigne\": {}}"));
        assertEquals("enigne", e.field());
        assertTrue(e.getMessage().contains("did you mean 'engine'"), e.getMessage());
    }

    @Test
    void nestedUnknownKeyNamesItsPath() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> parse("{\"model\": {\"model\": \"a.onnx\"}, \"compression\": {\"target_devise\": \"CPU\"}}"));
        assertEquals("compression.target_devise", e.field());
        assertTrue(e.getMessage().contains("target_device"), e.getMessage());
    }

    @Test
    void wrongTypeNamesFieldAndValue() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> parse("{\"model\": {\"model\": 42}}"));
        assertEquals("model.model", e.field());
        assertEquals("42", e.value());
    }

    @Test
    void missingModelIsNamed() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> parse("{\"engine\": {}}"));
        assertEquals("model", e.field());
    }

    @Test
    void engineTypeTypoSuggests() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> parse("{\"model\": {\"model\": \"a.onnx\"}, \"engine\": {\"type\": \"simplfied\"}}"));
        assertEquals("engine.type", e.field());
        assertTrue(e.getMessage().contains("did you mean 'simplified'"), e.getMessage());
    }

    @Test
    void simplifiedModeReadsAFolderOfImagesWithoutLabels() {
        JobConfig config = parse("{\"model\": {\"model\": \"a.onnx\"}, \"engine\": {\"type\": \"simplified\","
                + " \"data_source\": \"images\", \"layout\": \"NCHW\"}}");
        assertEquals("images", config.dataset().loader());
        assertEquals(Path.of("/configs/team/images"), config.dataset().parameters().path("data_source"));
        assertTrue(config.metrics().isEmpty());
    }

    @Test
    void simplifiedModeRejectsMetrics() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> parse("{\"model\": {\"model\": \"a.onnx\"}, \"engine\": {\"type\": \"simplified\","
                        + " \"data_source\": \"images\", \"metrics\": [{\"name\": \"accuracy\"}]}}"));
        assertEquals("engine.metrics", e.field());
    }

    @Test
    void algorithmBlockAcceptsOnlyNameAndParams() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> parse("{\"model\": {\"model\": \"a.onnx\"}, \"compression\": {\"algorithms\": "
                        + "[{\"name\": \"DefaultQuantization\", \"parms\": {}}]}}"));
        assertEquals("compression.algorithms[0].parms", e.field());
        assertTrue(e.getMessage().contains("did you mean 'params'"), e.getMessage());
    }

    @Test
    void optimizerSectionIsReadAndItsKeysChecked() {
        JobConfig config = parse("{\"model\": {\"model\": \"a.onnx\"}, \"optimizer\": {\"name\": \"Tpe\","
                + " \"params\": {\"max_trials\": 5}}}");
        assertEquals("Tpe", config.optimizer().name());
        assertEquals(5, config.optimizer().parameters().integer("max_trials"));
        assertEquals("optimizer.params.max_trials", config.optimizer().parameters().pathOf("max_trials"));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> parse("{\"model\": {\"model\": \"a.onnx\"}, \"optimizer\": {\"name\": \"Tpe\", \"parms\": {}}}"));
        assertEquals("optimizer.parms", e.field());
    }

    @Test
    void modelNameMustBeAFileNameEveryFileSystemTakes() {
        String longest = "m".repeat(JobConfigParser.MAX_MODEL_NAME_BYTES);
        assertEquals(longest, parse("{\"model\": {\"model_name\": \"" + longest + "\", \"model\": \"a.onnx\"}}")
                .modelName());
        // too long: the output file <model_name>.onnx (and its temporary copy) would exceed 255 bytes, after the job
        for (String name : new String[] {"n".repeat(300), longest + "x"}) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> parse("{\"model\": {\"model_name\": \"" + name + "\", \"model\": \"a.onnx\"}}"));
            assertEquals("model.model_name", e.field());
            assertTrue(e.value().contains("(" + name.length() + " bytes)"), e.value());
            assertTrue(e.getMessage().contains("at most " + JobConfigParser.MAX_MODEL_NAME_BYTES + " bytes"),
                    e.getMessage());
        }
        // what file systems reject in a name, or what would leave OUTDIR: '/', NUL, "." and ".."
        for (String name : new String[] {"bad/../name", "a\\u0000b", ".", "..", ""}) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> parse("{\"model\": {\"model_name\": \"" + name + "\", \"model\": \"a.onnx\"}}"), name);
            assertEquals("model.model_name", e.field(), name);
        }
    }

    @Test
    void metricParametersKeepTheirPath() {
        Map<String, Object> raw = ConfigFiles.parse(VALID, "x");
        JobConfig config = JobConfigParser.parse(raw, BASE);
        assertEquals("engine.metrics[0]", config.metrics().get(0).parameters().path());
    }

    @Test
    void dataFreeTakesNoDataAndSaysWhatToUseInstead() {
        InvalidInputException error = assertThrows(InvalidInputException.class,
                () -> parse("{\"model\": {\"model\": \"a.onnx\"}, \"engine\": {\"type\": \"data_free\","
                        + " \"dataset\": {\"loader\": \"idx\", \"images\": \"x.gz\"}}}"));
        assertEquals("engine.dataset", error.field(), error.getMessage());
        assertTrue(error.getMessage().contains("accuracy_checker"), error.getMessage());
    }

    /** engine.batch_size was accepted and silently ignored; it is the job's inference batch, 1..1024, else named. */
    @Test
    void engineBatchSizeIsTheJobsInferenceBatchWithinBounds() {
        assertNull(parse("{\"model\": {\"model\": \"a.onnx\"}}").batchSize(), "unset: the job service's");
        assertEquals(16, parse("{\"model\": {\"model\": \"a.onnx\"}, \"engine\": {\"type\": \"data_free\","
                + " \"batch_size\": 16}}").batchSize());
        for (String bad : new String[] {"0", "2147483647", "1025", "2.5", "\"8\"", "-1"}) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> parse("{\"model\": {\"model\":"
                    + " \"a.onnx\"}, \"engine\": {\"type\": \"data_free\", \"batch_size\": " + bad + "}}"));
            assertEquals("engine.batch_size", e.field(), bad);
            assertTrue(e.getMessage().contains("an integer from 1 to 1024: samples per inference call"), e.getMessage());
        }
    }

    /** "model": "" resolved to the configuration's folder and was reported as "is a directory". */
    @Test
    void anEmptyModelPathSaysItIsEmpty() {
        for (String empty : new String[] {"\"\"", "\"  \""}) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> parse("{\"model\": {\"model\": " + empty + "}}"));
            assertEquals("model.model", e.field());
            assertTrue(e.getMessage().contains("the path is empty") && !e.getMessage().contains("directory"),
                    e.getMessage());
        }
    }
}
