package org.pot4j.orchestrator.internal.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.algorithm.EvaluationResult;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.job.EvaluationReport;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.job.JobResult;
import org.pot4j.api.registry.PluginRegistry;

/** The two things a job does: evaluate a model, and quantize one (see {@link QuantizationJob}). */
public final class Jobs {

    /**
     * Server-wide knobs that shape how a job runs, not what it computes. {@code trials}: where a tuning job's trials
     * go ({@code bin/pot serve}: the servers of the group); null: the job measures them itself.
     */
    public record Settings(int batchSize, int inferenceThreads, StatisticsCache statisticsCache,
                           org.pot4j.api.optimizer.TrialTransport trials) {
        public Settings(int batchSize, int inferenceThreads, StatisticsCache statisticsCache) {
            this(batchSize, inferenceThreads, statisticsCache, null);
        }
    }

    private Jobs() {
    }

    public static EvaluationReport evaluate(Pipeline pipeline, Path model, JobEvents events, Settings settings) {
        if (pipeline.metrics().isEmpty()) {
            throw new InvalidInputException("engine.metrics", "[]", "evaluate needs at least one metric, e.g. "
                    + "[{\"name\": \"accuracy\", \"top_k\": 1}]");
        }
        long start = System.nanoTime();
        byte[] bytes = readModel(model);
        org.pot4j.api.graph.Graph graph = org.pot4j.model.OnnxCodec.read(bytes, model.toString());
        checkBatchSize(pipeline, graph);
        // POT's eval_requests_number: that many sessions share the batches, and the threads
        int requests = pipeline.config().evaluationRequests();
        int threads = settings.inferenceThreads() > 0 ? Math.max(1, settings.inferenceThreads() / requests)
                : requests > 1 ? Math.max(1, Runtime.getRuntime().availableProcessors() / requests) : 0;
        SessionOptions options = SessionOptions.defaults().withThreads(threads);
        // evaluate runs on the caller's thread: an interrupt (Ctrl-C in bin/pot) stops it at the next batch
        Thread caller = Thread.currentThread();
        BooleanSupplier interrupted = caller::isInterrupted;
        try (Dataset dataset = pipeline.openDataset();
             Sessions sessions = Sessions.open(requests, () -> openNamed(pipeline, bytes, options, model))) {
            InputFeed feed = InputFeed.forDataset(graph, InputFeed.constants(pipeline, graph), dataset,
                    settings.batchSize(), pipeline.datasetField());
            Evaluator evaluator = new Evaluator(dataset, feed, pipeline.metrics());
            int[] indices = Evaluator.allIndices(dataset.size());
            if (evaluator.needsReference()) {
                events.stage("fp32 reference outputs");
                byte[] reference = readModel(pipeline.config().modelPath());
                try (Sessions fp32 = Sessions.open(requests,
                        () -> openNamed(pipeline, reference, options, pipeline.config().modelPath()))) {
                    evaluator.cacheReference(fp32.all(), indices, interrupted);
                }
            }
            events.stage("evaluation");
            EvaluationResult result = evaluator.evaluate(sessions.all(), indices, events::progress, interrupted);
            events.emit(JobEventType.METRIC, "evaluation", null, result.values(), Map.of("model", model.toString()));
            return new EvaluationReport(model.toString(), result.values(), indices.length,
                    (System.nanoTime() - start) / 1e9);
        } catch (InvalidInputException e) {
            throw Pipeline.blameDataset(e, pipeline.datasetField());
        }
    }

    public static JobResult quantize(String jobId, Pipeline pipeline, PluginRegistry registry, JobRequest request,
                                     JobEvents events, BooleanSupplier cancelled, Settings settings) throws Exception {
        return new QuantizationJob(jobId, pipeline, registry, request, events, cancelled, settings).run();
    }

    /** Opens a session; a model the backend cannot load is reported with its path. */
    static InferenceSession openNamed(Pipeline pipeline, byte[] bytes, SessionOptions options, Path model) {
        try {
            return pipeline.backend().open(bytes, options);
        } catch (org.pot4j.api.Pot4jException e) {
            if ("MODEL_ERROR".equals(e.code())) {
                throw new org.pot4j.api.Pot4jException(e.code(), model + ": " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /**
     * engine.batch_size may not exceed a fixed batch dimension of the model's first input (a symbolic or unknown one
     * takes any batch): the batch tensor would not fit the model.
     */
    static void checkBatchSize(Pipeline pipeline, org.pot4j.api.graph.Graph model) {
        Integer batchSize = pipeline.config().batchSize();
        if (batchSize == null || model.inputs().isEmpty() || model.inputs().get(0).dims().isEmpty()) {
            return;
        }
        org.pot4j.api.graph.ValueInfo input = model.inputs().get(0);
        Long fixed = input.dims().get(0).value();
        if (fixed != null && fixed > 0 && batchSize > fixed) {
            throw new InvalidInputException("engine.batch_size", batchSize, "at most " + fixed + ": the model's input '"
                    + input.name() + "' has a fixed batch dimension of " + fixed);
        }
    }

    static byte[] readModel(Path model) {
        try {
            return Files.readAllBytes(model);
        } catch (IOException e) {
            throw new InvalidInputException("model.model", model, "cannot be read: " + e.getMessage(), e);
        }
    }
}
