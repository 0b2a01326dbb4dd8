package org.pot4j.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.backend.InferenceBackend;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.data.Sample;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.backend.onnxruntime.internal.OnnxRuntimeBackend;
import org.pot4j.model.Graphs;
import org.pot4j.model.OnnxCodec;
import org.pot4j.testsupport.TestFiles;

/**
 * The one-call pass, which lets ONNX Runtime reduce (ReduceMin/Max/Mean, TopK for extreme quantiles)
 * inside an augmented copy of the model, against the session pass, which copies whole activations out
 * and reduces them in Java: same statistics on the real shared models.
 * <p>
 * Tolerance: min, max, abs_max and quantiles select activation values, so they agree up to the
 * rounding of the activations themselves (the two sessions' graphs differ, so ORT may fuse differently:
 * 1e-5 relative). ORT's ReduceMean accumulates in float32 where Java sums in double: the mean may
 * differ by float32 summation error, bounded here by 1e-5 of the channel's largest magnitude.
 */
class InGraphReductionTest {
    private static final int SAMPLES = 64;
    private static float[][] images;

    @BeforeAll
    static void readImages() throws Exception {
        images = TestFiles.images(TestFiles.calibrationImages(), 0, SAMPLES);
    }

    /** Every reducer ORT can compute, per tensor and per channel (axes 1 and 2), and some it cannot. */
    private static List<StatisticRequest> requests(List<String> activations, boolean alsoAxis2) {
        return requests(activations, alsoAxis2, false);
    }

    private static List<StatisticRequest> requests(List<String> activations, boolean alsoAxis2, boolean central) {
        List<StatisticRequest> requests = new ArrayList<>();
        for (String tensor : activations) {
            for (int axis : alsoAxis2 ? new int[] {-1, 1, 2} : new int[] {-1, 1}) {
                requests.add(new StatisticRequest(tensor, Reducer.MIN, Aggregator.MEAN, axis, 0, 0));
                requests.add(new StatisticRequest(tensor, Reducer.MAX, Aggregator.MAX, axis, 0, 0));
                requests.add(new StatisticRequest(tensor, Reducer.ABS_MAX, Aggregator.MEDIAN, axis, 0, 0));
                requests.add(new StatisticRequest(tensor, Reducer.MEAN, Aggregator.MEAN, axis, 0, 0));
                requests.add(new StatisticRequest(tensor, Reducer.QUANTILE, Aggregator.MEAN, axis, 1e-4, 0));
                requests.add(new StatisticRequest(tensor, Reducer.QUANTILE, Aggregator.MEAN, axis, 1 - 1e-4, 0));
                requests.add(new StatisticRequest(tensor, Reducer.ABS_QUANTILE, Aggregator.MEDIAN_NO_OUTLIERS, axis,
                        0.999, 0.02));
                requests.add(new StatisticRequest(tensor, Reducer.QUANTILE, Aggregator.HL_ESTIMATOR, axis, 0.005, 0));
            }
            if (central) { // a central level: the whole tensor comes back, Java reduces all its requests
                requests.add(new StatisticRequest(tensor, Reducer.QUANTILE, Aggregator.MEAN, -1, 0.5, 0));
            }
        }
        return requests;
    }

    private static void assertSameStatistics(Statistics javaSide, Statistics ortSide, List<StatisticRequest> requests) {
        double[] worst = new double[Reducer.values().length];
        for (StatisticRequest request : requests) {
            float[] expected = javaSide.get(request), actual = ortSide.get(request);
            assertEquals(expected.length, actual.length, request.toString());
            float scale = 0;
            for (float value : expected) scale = Math.max(scale, Math.abs(value));
            for (int c = 0; c < expected.length; c++) {
                double tolerance = request.reducer() == Reducer.MEAN
                        ? 1e-5 * Math.max(1, scale) + 1e-6 : 1e-5 * Math.max(1, Math.abs(expected[c]));
                assertEquals(expected[c], actual[c], tolerance, request + " channel " + c);
                double relative = Math.abs(expected[c] - actual[c]) / Math.max(1, request.reducer() == Reducer.MEAN
                        ? scale : Math.abs(expected[c]));
                worst[request.reducer().ordinal()] = Math.max(worst[request.reducer().ordinal()], relative);
            }
        }
        StringBuilder line = new StringBuilder("largest relative difference ORT / Java reduction:");
        for (Reducer reducer : Reducer.values()) line.append(' ').append(reducer.configName()).append(' ')
                .append(String.format("%.1e", worst[reducer.ordinal()]));
        System.out.println(line);
    }

    private static Statistics sessionPass(Path model, List<StatisticRequest> requests, IntFunction<Map<String, Tensor>> in)
            throws Exception {
        try (RealModels.CountingSession session = RealModels.open(model, StatisticsCollector.tensors(requests), 1)) {
            return new StatisticsCollector(32).collect(session, requests, SAMPLES, in, null, null);
        }
    }

    @Test
    void cnnReluInGraphEqualsJavaReduction() throws Exception {
        Path model = TestFiles.model("cnn_relu.onnx");
        List<String> activations = RealModels.activationInputsOfWeightedOps(model);
        // the 4-D ones get axis 2 too (the general Shape/Slice/Transpose view)
        List<StatisticRequest> requests = new ArrayList<>(requests(activations.subList(0, 4), true));
        requests.addAll(requests(activations.subList(4, 5), false, true));
        requests.addAll(requests(activations.subList(5, activations.size()), false));
        Statistics javaSide = sessionPass(model, requests, TestFiles.inputs(images, Tensor::ofFloats));
        for (boolean topK : new boolean[] {true, false}) {
            RecordingBackend backend = new RecordingBackend();
            Statistics ortSide = new StatisticsCollector(32, topK).collect(backend, OnnxCodec.read(model),
                    SessionOptions.defaults().withThreads(1), requests, SAMPLES, TestFiles.inputs(images, Tensor::ofFloats), null, null);
            assertSameStatistics(javaSide, ortSide, requests);
            assertEquals(SAMPLES, ortSide.samples());
            // with TopK only the central quantile's tensor is returned whole; without, every quantile's tensor
            Set<String> extra = backend.options.get(0).extraOutputs();
            for (int i = 0; i < activations.size(); i++) {
                assertEquals(i == 4 || !topK, extra.contains(activations.get(i)), activations.get(i) + " topK " + topK);
            }
        }
        // min/max/mean only: nothing comes back whole by default
        RecordingBackend backend = new RecordingBackend();
        List<StatisticRequest> minMax = new ArrayList<>();
        for (StatisticRequest request : requests) {
            if (request.reducer() != Reducer.QUANTILE && request.reducer() != Reducer.ABS_QUANTILE) minMax.add(request);
        }
        new StatisticsCollector(32).collect(backend, OnnxCodec.read(model), SessionOptions.defaults().withThreads(1),
                minMax, 8, TestFiles.inputs(images, Tensor::ofFloats), null, null);
        for (String tensor : activations) {
            assertFalse(backend.options.get(0).extraOutputs().contains(tensor), tensor + " is reduced inside ORT");
        }
    }

    /**
     * A Conv moved into both branches of an If on the data (a condition no sample meets): its statistics come from the
     * branch hoisted into the statistics graph, over every sample, and equal those of the model without the If.
     */
    @Test
    void layersInsideIfBranchesGetTheStatisticsOfEverySample() throws Exception {
        Graph flat = OnnxCodec.read(TestFiles.model("cnn_relu.onnx"));
        Graph withIf = flat.copy();
        org.pot4j.api.graph.Node conv = withIf.nodes().stream().filter(n -> n.opType().equals("Conv")).skip(1)
                .findFirst().orElseThrow();
        String output = conv.output(0);
        int position = withIf.nodes().indexOf(conv);
        withIf.nodes().remove(conv);
        Graph then = new Graph();
        then.setName("then");
        conv.outputs().set(0, output + "_then");
        then.nodes().add(conv);
        then.outputs().add(new org.pot4j.api.graph.ValueInfo(output + "_then", null, null));
        Graph otherwise = new Graph();
        otherwise.setName("else");
        otherwise.nodes().add(new org.pot4j.api.graph.Node(conv.name() + "_else", "Conv", "", conv.inputs(),
                List.of(output + "_else"), conv.attributes()));
        otherwise.outputs().add(new org.pot4j.api.graph.ValueInfo(output + "_else", null, null));
        String input = withIf.inputs().get(0).name();
        withIf.initializers().put("never", new Tensor(org.pot4j.api.tensor.DataType.FLOAT, new long[0], new float[] {1e6f}));
        withIf.nodes().addAll(position, List.of(
                new org.pot4j.api.graph.Node("mean", "ReduceMean", "", List.of(input), List.of("mean"),
                        Map.of("keepdims", org.pot4j.api.graph.Attribute.ofInt(0))),
                new org.pot4j.api.graph.Node("huge", "Greater", "", List.of("mean", "never"), List.of("huge"), Map.of()),
                new org.pot4j.api.graph.Node("if", "If", "", List.of("huge"), List.of(output),
                        Map.of("then_branch", org.pot4j.api.graph.Attribute.ofGraph(then),
                                "else_branch", org.pot4j.api.graph.Attribute.ofGraph(otherwise)))));
        List<StatisticRequest> requests = new ArrayList<>();
        List<StatisticRequest> inBranch = new ArrayList<>();
        for (int axis : new int[] {-1, 1}) {
            for (Reducer reducer : List.of(Reducer.MIN, Reducer.MAX, Reducer.QUANTILE)) {
                double level = reducer == Reducer.QUANTILE ? 0.5 : 0;
                requests.add(new StatisticRequest(output, reducer, Aggregator.MEAN, axis, level, 0));
                inBranch.add(new StatisticRequest(output + "_then", reducer, Aggregator.MEAN, axis, level, 0));
            }
        }
        Statistics expected = new StatisticsCollector(8).collect(new RecordingBackend(), flat,
                SessionOptions.defaults().withThreads(1), requests, 16, TestFiles.inputs(images, Tensor::ofFloats), null, null);
        Statistics actual = new StatisticsCollector(8).collect(new RecordingBackend(), withIf,
                SessionOptions.defaults().withThreads(1), inBranch, 16, TestFiles.inputs(images, Tensor::ofFloats), null, null);
        for (int i = 0; i < requests.size(); i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected.get(requests.get(i)), actual.get(inBranch.get(i)),
                    1e-5f, inBranch.get(i).toString());
        }
        assertEquals(16, actual.samples());
    }

    /** A statistics graph ONNX Runtime cannot run is a named error naming the tensors, not ONNX Runtime's message alone. */
    @Test
    void aStatisticsGraphOnnxRuntimeRejectsIsANamedError() throws Exception {
        Graph graph = OnnxCodec.read(TestFiles.model("cnn_relu.onnx"));
        String input = graph.inputs().get(0).name();
        // rows of the images as samples ([B·28, 28], as attention heads are reshaped into the batch): its per-sample
        // reductions cannot be joined with the others
        graph.initializers().put("rows", Tensor.ofLongs(new long[] {2}, new long[] {-1, 28}));
        graph.nodes().add(0, new org.pot4j.api.graph.Node("rows", "Reshape", "", List.of(input, "rows"),
                List.of("swapped"), Map.of()));
        String conv2 = RealModels.activationInputsOfWeightedOps(TestFiles.model("cnn_relu.onnx")).get(1);
        List<StatisticRequest> requests = new ArrayList<>();
        for (String tensor : List.of("swapped", conv2)) {
            requests.add(new StatisticRequest(tensor, Reducer.MIN, Aggregator.MEAN, -1, 0, 0));
            requests.add(new StatisticRequest(tensor, Reducer.MAX, Aggregator.MEAN, -1, 0, 0));
        }
        org.pot4j.api.Pot4jException error = assertThrows(org.pot4j.api.Pot4jException.class, () ->
                new StatisticsCollector(32).collect(new RecordingBackend(), graph, SessionOptions.defaults().withThreads(1),
                        requests, 8, TestFiles.inputs(images, Tensor::ofFloats), null, null));
        assertEquals(StatisticsCollector.STATISTICS_ERROR, error.code());
        assertTrue(error.getMessage().contains("swapped") && error.getMessage().contains("statistics graph"),
                error.getMessage());
    }

    @Test
    void mobilenetInGraphEqualsJavaReductionAndReturnsNoActivation() throws Exception {
        Path model = TestFiles.model("mobilenet_v2_tiny.onnx");
        List<String> activations = RealModels.activationInputsOfWeightedOps(model);
        List<StatisticRequest> requests = new ArrayList<>();
        requests.addAll(requests(activations, false));
        RecordingBackend backend = new RecordingBackend();
        Statistics ortSide = new StatisticsCollector(32, true).collect(backend, OnnxCodec.read(model),
                SessionOptions.defaults().withThreads(1), requests, SAMPLES, TestFiles.inputs(images, Tensor::ofFloats), null, null);
        assertSameStatistics(sessionPass(model, requests, TestFiles.inputs(images, Tensor::ofFloats)), ortSide, requests);
        for (String tensor : activations) {
            assertFalse(backend.options.get(0).extraOutputs().contains(tensor), tensor + " is reduced inside ORT");
        }
    }

    /** Without quantiles the Reduce* read the activation itself (rank known from Conv weights / Gemm). */
    @Test
    void knownRankReducesTheActivationDirectly() throws Exception {
        Path model = TestFiles.model("cnn_relu.onnx");
        List<String> activations = RealModels.activationInputsOfWeightedOps(model);
        List<StatisticRequest> requests = new ArrayList<>();
        for (int i = 0; i < activations.size(); i++) {
            for (int axis : i < 4 ? new int[] {-1, 1, 2, 3} : new int[] {-1, 1}) {  // [B, C] with axis 1: Identity
                for (Reducer reducer : List.of(Reducer.MIN, Reducer.MAX, Reducer.ABS_MAX, Reducer.MEAN)) {
                    requests.add(new StatisticRequest(activations.get(i), reducer, Aggregator.MEAN, axis, 0, 0));
                }
            }
        }
        Statistics ortSide = new StatisticsCollector(32).collect(new OnnxRuntimeBackend(), OnnxCodec.read(model),
                SessionOptions.defaults().withThreads(1), requests, SAMPLES, TestFiles.inputs(images, Tensor::ofFloats), null, null);
        assertSameStatistics(sessionPass(model, requests, TestFiles.inputs(images, Tensor::ofFloats)), ortSide, requests);
    }

    /** A backend that records the outputs each run fetches. */
    private static InferenceBackend recording(List<Collection<String>> fetched) {
        InferenceBackend ort = new OnnxRuntimeBackend();
        return new InferenceBackend() {
            @Override
            public InferenceSession open(byte[] onnxModel, SessionOptions sessionOptions) {
                throw new UnsupportedOperationException("the collector opens graphs");
            }

            @Override
            public InferenceSession open(Graph graph, SessionOptions sessionOptions) {
                return new RealModels.CountingSession(ort.open(graph, sessionOptions)) {
                    @Override
                    public Map<String, Tensor> run(Map<String, Tensor> inputs, Collection<String> outputs) {
                        fetched.add(List.copyOf(outputs));
                        return super.run(inputs, outputs);
                    }
                };
            }
        };
    }

    /**
     * DefaultQuantization's requests on mobilenet_v2_tiny (per-tensor min and abs_max, per-channel mean): per-tensor
     * values come from per-channel pools and equal the Java reduction; every reduction's size is known from the
     * Conv weights, so every run fetches one joined output and nothing else.
     */
    @Test
    void perTensorFromChannelsAndOneGatheredOutputPerRun() throws Exception {
        Path model = TestFiles.model("mobilenet_v2_tiny.onnx");
        List<String> activations = RealModels.activationInputsOfWeightedOps(model);
        List<StatisticRequest> requests = new ArrayList<>();
        for (String tensor : activations) {
            requests.add(new StatisticRequest(tensor, Reducer.MIN, Aggregator.MIN, -1, 0, 0));
            requests.add(new StatisticRequest(tensor, Reducer.ABS_MAX, Aggregator.MEAN, -1, 0, 0));
            requests.add(new StatisticRequest(tensor, Reducer.MAX, Aggregator.MEDIAN, -1, 0, 0));
            requests.add(new StatisticRequest(tensor, Reducer.MEAN, Aggregator.MEAN, -1, 0, 0));
            requests.add(new StatisticRequest(tensor, Reducer.MEAN, Aggregator.MEAN, 1, 0, 0));
        }
        List<Collection<String>> fetched = new CopyOnWriteArrayList<>();
        Statistics ortSide = new StatisticsCollector(8).collect(recording(fetched), OnnxCodec.read(model),
                SessionOptions.defaults().withThreads(1), requests, SAMPLES, TestFiles.inputs(images, Tensor::ofFloats), null, null);
        assertSameStatistics(sessionPass(model, requests, TestFiles.inputs(images, Tensor::ofFloats)), ortSide, requests);
        assertEquals((SAMPLES + 7) / 8, fetched.size());
        for (Collection<String> run : fetched) {
            assertEquals(List.of("pot4j_stats/all"), run, "outputs fetched: " + run.size());
        }
    }

    /**
     * TopK's K depends on the element count, unknown before running: the first run fetches every reduction and
     * learns their shapes, later runs only the joined output (and the element counts).
     */
    @Test
    void unknownSizesAreLearntFromTheFirstRun() throws Exception {
        Path model = TestFiles.model("cnn_relu.onnx");
        List<String> activations = RealModels.activationInputsOfWeightedOps(model);
        List<StatisticRequest> requests = new ArrayList<>();
        for (String tensor : activations.subList(1, 3)) {
            requests.add(new StatisticRequest(tensor, Reducer.MIN, Aggregator.MEAN, -1, 0, 0));
            requests.add(new StatisticRequest(tensor, Reducer.QUANTILE, Aggregator.MEAN, -1, 1 - 1e-4, 0));
            requests.add(new StatisticRequest(tensor, Reducer.MEAN, Aggregator.MEAN, 1, 0, 0));
        }
        List<Collection<String>> fetched = new CopyOnWriteArrayList<>();
        Statistics ortSide = new StatisticsCollector(8, true).collect(recording(fetched), OnnxCodec.read(model),
                SessionOptions.defaults().withThreads(1), requests, SAMPLES, TestFiles.inputs(images, Tensor::ofFloats), null, null);
        assertSameStatistics(sessionPass(model, requests, TestFiles.inputs(images, Tensor::ofFloats)), ortSide, requests);
        assertFalse(fetched.get(0).contains("pot4j_stats/all"), "the first run fetches the parts: " + fetched.get(0));
        assertTrue(fetched.get(0).size() > 2, fetched.get(0).toString());
        for (Collection<String> later : fetched.subList(1, fetched.size())) {
            assertTrue(later.contains("pot4j_stats/all"), later.toString());
            assertTrue(later.size() < fetched.get(0).size(), later.toString());
        }
    }

    /**
     * A broadcast attention map (Mul of a [B, 1, H, W] gate and a [B, 16, H, W] activation) read by an Add, not a
     * Conv: its channel count is not taken from either input (a wrong count would break the joined output), the
     * first run learns it, and every value equals the Java reduction.
     */
    @Test
    void broadcastProducersLeaveTheChannelCountUnknownAndStillReduceCorrectly() throws Exception {
        Graph graph = new Graph();
        graph.setName("attention");
        graph.opsets().put("", 13L);
        graph.setIrVersion(8);
        graph.inputs().add(new org.pot4j.api.graph.ValueInfo("x", org.pot4j.api.tensor.DataType.FLOAT, List.of(
                org.pot4j.api.graph.ValueInfo.Dim.symbolic("N"), org.pot4j.api.graph.ValueInfo.Dim.of(16),
                org.pot4j.api.graph.ValueInfo.Dim.of(6), org.pot4j.api.graph.ValueInfo.Dim.of(6))));
        graph.outputs().add(new org.pot4j.api.graph.ValueInfo("y", org.pot4j.api.tensor.DataType.FLOAT, null));
        java.util.Random random = new java.util.Random(3);
        graph.initializers().put("Wa", weights(random, 16, 16, 1, 1));
        graph.initializers().put("Wg", weights(random, 1, 16, 1, 1));
        graph.initializers().put("Wc", weights(random, 16, 16, 1, 1));
        graph.nodes().add(new org.pot4j.api.graph.Node("a", "Conv", List.of("x", "Wa"), List.of("a_out")));
        graph.nodes().add(new org.pot4j.api.graph.Node("g", "Conv", List.of("a_out", "Wg"), List.of("g_out")));
        graph.nodes().add(new org.pot4j.api.graph.Node("gate", "Sigmoid", List.of("g_out"), List.of("gate_out")));
        graph.nodes().add(new org.pot4j.api.graph.Node("attend", "Mul", List.of("gate_out", "a_out"), List.of("t")));
        graph.nodes().add(new org.pot4j.api.graph.Node("skip", "Add", List.of("t", "a_out"), List.of("u")));
        graph.nodes().add(new org.pot4j.api.graph.Node("c", "Conv", List.of("u", "Wc"), List.of("y")));
        List<StatisticRequest> requests = List.of(
                new StatisticRequest("t", Reducer.MAX, Aggregator.MEAN, -1, 0, 0),
                new StatisticRequest("t", Reducer.MEAN, Aggregator.MEAN, 1, 0, 0),
                new StatisticRequest("u", Reducer.MIN, Aggregator.MIN, -1, 0, 0),
                new StatisticRequest("u", Reducer.MEAN, Aggregator.MEAN, 1, 0, 0));
        int samples = 12;
        IntFunction<Map<String, Tensor>> inputs = i -> {
            float[] data = new float[16 * 36];
            java.util.Random values = new java.util.Random(100 + i);
            for (int k = 0; k < data.length; k++) data[k] = (float) values.nextGaussian();
            return Map.of("x", Tensor.ofFloats(new long[] {1, 16, 6, 6}, data));
        };
        List<Collection<String>> fetched = new CopyOnWriteArrayList<>();
        Statistics ortSide = new StatisticsCollector(4).collect(recording(fetched), graph,
                SessionOptions.defaults().withThreads(1), requests, samples, inputs, null, null);
        Statistics javaSide;
        try (InferenceSession session = new OnnxRuntimeBackend().open(graph, SessionOptions.defaults().withThreads(1)
                .withExtraOutputs(StatisticsCollector.tensors(requests)))) {
            javaSide = new StatisticsCollector(4).collect(session, requests, samples, inputs, null, null);
        }
        assertSameStatistics(javaSide, ortSide, requests);
        assertEquals(16, ortSide.get(requests.get(1)).length, "t has 16 channels");
        assertFalse(fetched.get(0).contains("pot4j_stats/all"), "t's size is learnt from the first run: " + fetched.get(0));
        assertEquals(List.of("pot4j_stats/all"), fetched.get(1));
    }

    private static Tensor weights(java.util.Random random, long... shape) {
        float[] data = new float[(int) Tensor.elementCount(shape)];
        for (int i = 0; i < data.length; i++) data[i] = (float) random.nextGaussian() * 0.3f;
        return Tensor.ofFloats(shape, data);
    }

    @Test
    void opset18ModelsTakeReduceAxesAsAnInput() throws Exception {
        Path model = TestFiles.model("cnn_relu.onnx");
        Graph upgraded = OnnxCodec.read(model);
        assertTrue(Graphs.ensureOpset(upgraded, 18));
        List<String> activations = RealModels.activationInputsOfWeightedOps(model);
        List<StatisticRequest> requests = new ArrayList<>(requests(activations.subList(1, 3), true));
        for (int axis : new int[] {-1, 1, 2}) {  // no quantile: Reduce* on the activation itself, axes as an input
            requests.add(new StatisticRequest(activations.get(3), Reducer.MIN, Aggregator.MEAN, axis, 0, 0));
            requests.add(new StatisticRequest(activations.get(3), Reducer.MEAN, Aggregator.MEAN, axis, 0, 0));
        }
        Statistics ortSide = new StatisticsCollector(16, true).collect(new OnnxRuntimeBackend(),
                upgraded, SessionOptions.defaults().withThreads(1), requests, SAMPLES, TestFiles.inputs(images, Tensor::ofFloats), null, null);
        assertSameStatistics(sessionPass(model, requests, TestFiles.inputs(images, Tensor::ofFloats)), ortSide, requests);
    }

    @Test
    void batchSizeDoesNotChangeInGraphResults() {
        Graph model = OnnxCodec.read(TestFiles.model("cnn_relu.onnx"));
        List<String> activations = RealModels.activationInputsOfWeightedOps(TestFiles.model("cnn_relu.onnx"));
        List<StatisticRequest> requests = requests(activations.subList(1, 2), true);
        Statistics one = new StatisticsCollector(1, true).collect(new OnnxRuntimeBackend(), model,
                SessionOptions.defaults().withThreads(1), requests, 20, TestFiles.inputs(images, Tensor::ofFloats), null, null);
        Statistics batched = new StatisticsCollector(8, true).collect(new OnnxRuntimeBackend(), model,
                SessionOptions.defaults().withThreads(1), requests, 20, TestFiles.inputs(images, Tensor::ofFloats), null, null);
        assertSameStatistics(one, batched, requests);
    }

    /** The one-call pass reduces batch k on a second thread while ORT runs batch k + 1: same values, same order. */
    @Test
    void pipelinedPassEqualsSequentialBatchOfOne() {
        Graph model = OnnxCodec.read(TestFiles.model("cnn_relu.onnx"));
        List<String> activations = RealModels.activationInputsOfWeightedOps(TestFiles.model("cnn_relu.onnx"));
        List<StatisticRequest> requests = requests(activations, false, true);
        SessionOptions options = SessionOptions.defaults().withThreads(1);
        Statistics sequentialOne = new StatisticsCollector(1, false, false).collect(new OnnxRuntimeBackend(), model,
                options, requests, SAMPLES, TestFiles.inputs(images, Tensor::ofFloats), null, null);
        Statistics pipelinedOne = new StatisticsCollector(1, false, true).collect(new OnnxRuntimeBackend(), model,
                options, requests, SAMPLES, TestFiles.inputs(images, Tensor::ofFloats), null, null);
        assertEquals(sequentialOne, pipelinedOne, "batch 1: identical per-sample values in identical order");

        List<Integer> done = new CopyOnWriteArrayList<>();
        Statistics pipelinedBatched = new StatisticsCollector(16).collect(new OnnxRuntimeBackend(), model, options,
                requests, SAMPLES, TestFiles.inputs(images, Tensor::ofFloats), (d, total) -> done.add(d), null);
        Statistics sequentialBatched = new StatisticsCollector(16, false, false).collect(new OnnxRuntimeBackend(),
                model, options, requests, SAMPLES, TestFiles.inputs(images, Tensor::ofFloats), null, null);
        assertEquals(sequentialBatched, pipelinedBatched, "batch 16: identical to the sequential pass");
        assertSameStatistics(sequentialOne, pipelinedBatched, requests); // ORT may round differently per batch size
        List<Integer> expected = new ArrayList<>();
        for (int i = 1; i <= SAMPLES; i++) expected.add(i);
        assertEquals(expected, done, "progress per sample, in sample order");
    }

    @Test
    void datasetCallOpensAndClosesItsSessionAndNamesBadInput() {
        Graph model = OnnxCodec.read(TestFiles.model("cnn_relu.onnx"));
        Dataset dataset = new Dataset() {
            public int size() { return images.length; }
            public Sample get(int index) {
                return new Sample(index, Tensor.ofFloats(new long[] {1, 28, 28}, images[index]), null);
            }
            public boolean annotated() { return false; }
            public String identity() { return "calib-300-first-64"; }
        };
        String tensor = RealModels.activationInputsOfWeightedOps(TestFiles.model("cnn_relu.onnx")).get(2);
        List<StatisticRequest> requests = List.of(StatisticRequest.perTensor(tensor, Reducer.MAX, Aggregator.MEAN));
        RecordingBackend backend = new RecordingBackend();
        List<Integer> progress = new ArrayList<>();
        CollectedStatistics statistics = new StatisticsCollector().collect(backend, model, SessionOptions.defaults(),
                requests, dataset, null, new int[] {3, 1, 4, 1, 5}, (done, total) -> progress.add(done), null);
        assertEquals(5, statistics.samples());
        assertEquals(List.of(1, 2, 3, 4, 5), progress);
        assertTrue(backend.allClosed(), "the session is closed after the pass");
        assertTrue(statistics.get(requests.get(0))[0] > 0);

        InvalidInputException unknown = assertThrows(InvalidInputException.class, () -> new StatisticsCollector()
                .collect(backend, model, SessionOptions.defaults(), List.of(StatisticRequest.perTensor("conv9",
                        Reducer.MAX, Aggregator.MAX)), dataset, "input", new int[] {0}, null, null));
        assertEquals("statistics[0].tensor", unknown.field());
        assertEquals("conv9", unknown.value());
        InvalidInputException outside = assertThrows(InvalidInputException.class, () -> new StatisticsCollector()
                .collect(backend, model, SessionOptions.defaults(), requests, dataset, null, new int[] {0, 64}, null,
                        null));
        assertEquals("statistics.indices[1]", outside.field());
    }

    /** The team's ORT backend, remembering the options of every session it opened and whether each closed. */
    private static final class RecordingBackend implements InferenceBackend {
        private final OnnxRuntimeBackend delegate = new OnnxRuntimeBackend();
        final List<SessionOptions> options = new CopyOnWriteArrayList<>();
        final List<Boolean> closed = new CopyOnWriteArrayList<>();

        @Override
        public InferenceSession open(byte[] onnxModel, SessionOptions sessionOptions) {
            throw new UnsupportedOperationException("the collector opens graphs");
        }

        @Override
        public InferenceSession open(Graph model, SessionOptions sessionOptions) {
            options.add(sessionOptions);
            int index = closed.size();
            closed.add(false);
            return new RealModels.CountingSession(delegate.open(model, sessionOptions)) {
                @Override
                public void close() {
                    closed.set(index, true);
                    super.close();
                }
            };
        }

        boolean allClosed() {
            return !closed.contains(false);
        }
    }
}
