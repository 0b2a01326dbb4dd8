package org.pot4j.itests.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pot4j.itests.kafka.KafkaHarness.JOB_TIMEOUT;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pot4j.testsupport.TestFiles;

/**
 * A model with two INT64 inputs and a constant input (testdata/models/multi_input) quantized through a Kafka request:
 * {@code pot submit --follow} of a job whose data is an .npz with one array per input, on a real KRaft broker and a
 * real {@code pot serve}; the model that comes back runs in ONNX Runtime on INT64 inputs.
 */
class KafkaMultiInputIT {
    private static KafkaHarness kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = new KafkaHarness();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void anNpzWithInt64InputsQuantizesThroughAKafkaRequest() throws Exception {
        // requests may read under work/ only: the model and its data go there, the job names them relative to itself
        Path dir = Files.createDirectories(kafka.work.resolve("multi_input"));
        for (String file : List.of("multi_input.onnx", "data.npz")) {
            Files.copy(TestFiles.file("testdata/models/multi_input/" + file), dir.resolve(file));
        }
        Files.writeString(dir.resolve("job.json"), """
                {
                  "model": {"model_name": "text", "model": "multi_input.onnx"},
                  "engine": {
                    "dataset": {"loader": "npy", "data": "data.npz"},
                    "constant_inputs": {"scale": 0.5},
                    "metrics": [{"name": "similarity"}]
                  },
                  "compression": {"target_device": "CPU", "algorithms": [
                    {"name": "DefaultQuantization", "params": {"preset": "performance", "stat_subset_size": 48}}]}
                }
                """);
        KafkaHarness.Topics topics = new KafkaHarness.Topics("mi");
        List<String> options = kafka.options(topics, "mi");
        KafkaHarness.ServerProcess server = kafka.startServer("mi1", options);
        server.awaitServing();
        Path out = kafka.work.resolve("mi-client-out");
        KafkaHarness.Run submit = kafka.pot(options, JOB_TIMEOUT, "submit", "-c", dir.resolve("job.json").toString(),
                "--follow", "-o", out.toString(), "--job-id", "mi-text", "--json");
        assertEquals(0, submit.exit(), "submit --follow: " + submit.err() + submit.out() + "\nserver:\n"
                + server.output());
        String[] lines = submit.out().strip().split("\n");
        Map<String, Object> result = KafkaHarness.map(lines[lines.length - 1].getBytes(StandardCharsets.UTF_8));
        assertEquals("COMPLETED", result.get("state"), submit.out());
        byte[] model = Files.readAllBytes(Path.of(String.valueOf(result.get("model"))));
        assertTrue(new String(model, StandardCharsets.ISO_8859_1).contains("QuantizeLinear"), "a QDQ model came back");

        // it runs in ONNX Runtime on INT64 ids and mask and the constant scale: logits [2, 4], hidden [2, 32]
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(model, new OrtSession.SessionOptions());
             OnnxTensor ids = OnnxTensor.createTensor(env, new long[][] {{1, 2, 3, 0, 0, 0, 0, 0}, {4, 5, 6, 7, 8, 9, 10, 11}});
             OnnxTensor mask = OnnxTensor.createTensor(env, new long[][] {{1, 1, 1, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 1, 1, 1}});
             OnnxTensor scale = OnnxTensor.createTensor(env, new float[] {0.5f});
             OrtSession.Result output = session.run(Map.of("input_ids", ids, "attention_mask", mask, "scale", scale))) {
            float[][] logits = (float[][]) output.get("logits").orElseThrow().getValue();
            assertEquals(2, logits.length);
            assertEquals(4, logits[0].length);
        }
    }
}
