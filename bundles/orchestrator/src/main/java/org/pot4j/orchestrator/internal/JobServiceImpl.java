package org.pot4j.orchestrator.internal;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.job.EvaluationReport;
import org.pot4j.api.job.JobEventSink;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.job.JobResult;
import org.pot4j.api.job.JobService;
import org.pot4j.api.job.JobState;
import org.pot4j.api.job.JobStatus;
import org.pot4j.api.optimizer.TrialMeasurement;
import org.pot4j.api.optimizer.TrialRunner;
import org.pot4j.api.optimizer.TrialSettings;
import org.pot4j.api.optimizer.TrialTransport;
import org.pot4j.api.registry.PluginRegistry;
import org.pot4j.orchestrator.internal.config.JobConfig;
import org.pot4j.orchestrator.internal.config.JobConfigParser;
import org.pot4j.orchestrator.internal.job.JobEvents;
import org.pot4j.orchestrator.internal.job.Jobs;
import org.pot4j.orchestrator.internal.job.OutputFolder;
import org.pot4j.orchestrator.internal.job.Pipeline;
import org.pot4j.orchestrator.internal.job.StatisticsCache;

/**
 * Accepts jobs from every entry point (CLI, Kafka), validates them against the live plugins,
 * runs them on a bounded worker pool and reports their events to every {@link JobEventSink}.
 */
@Component(service = {JobService.class, TrialRunner.class})
@Designate(ocd = JobServiceImpl.Config.class)
public class JobServiceImpl implements JobService, TrialRunner {

    @ObjectClassDefinition(name = "pot4j job service")
    public @interface Config {
        @AttributeDefinition(description = "Jobs that run at the same time")
        int workers() default 1;

        @AttributeDefinition(description = "Samples per inference call during evaluation and statistics (8: the"
                + " statistics pass measured fastest there on the shared models)")
        int batch_size() default 8;

        @AttributeDefinition(description = "Threads of each inference session (0: backend default)")
        int inference_threads() default 0;

        @AttributeDefinition(description = "Folder of the statistics cache; empty: statistics-cache in the server's state "
                + "folder (pot4j.state.dir, <pot4j.home>/state) when the runtime sets it, else no cache")
        String statistics_cache_directory() default "";

        @AttributeDefinition(description = "Size bound of the statistics cache in MiB (0 disables it)")
        int statistics_cache_max_mb() default 256;
    }

    private final PluginRegistry registry;
    private final Config config;
    private final ExecutorService workers;
    private final List<JobEventSink> sinks = new CopyOnWriteArrayList<>();
    private final Map<String, JobRecord> jobs = new ConcurrentHashMap<>();

    /** A job as this server knows it. */
    private static final class JobRecord {
        final String jobId;
        final CompletableFuture<JobResult> result = new CompletableFuture<>();
        volatile JobState state;
        volatile Instant updated = Instant.now();
        volatile String message;
        volatile boolean cancelled;
        volatile String abortReason;
        volatile JobEvents events;
        /** OUTDIR/<model_name> as checked at submit (null: no output directory). */
        volatile OutputFolder output;

        JobRecord(String jobId, JobState state) {
            this.jobId = jobId;
            this.state = state;
        }

        JobStatus status() {
            JobEvents current = events;
            return new JobStatus(jobId, state, updated, current == null ? null : current.stage(), message);
        }
    }

    private final StatisticsCache statisticsCache;
    /** The trials of other servers' tuning jobs this server measures (trials over Kafka). */
    private final TrialBenches trialBenches;
    /** Where tuning jobs send their trials ({@code bin/pot serve}); null: they measure them themselves. */
    private volatile TrialTransport trialTransport;

    @Activate
    public JobServiceImpl(@Reference PluginRegistry registry, Config config, org.osgi.framework.BundleContext context,
                          Map<String, Object> properties) {
        this(registry, config, cacheDirectory(config, context.getProperty("pot4j.state.dir"),
                context.getProperty("pot4j.home")));
        // DS reads batch.size for batch_size(): a key it does not read (batch_size) is said, not ignored
        org.pot4j.config.support.ConfigKeys.report(JobServiceImpl.class.getName(), Config.class, properties)
                .forEach(System.err::println);
    }

    /** For embedding and tests: {@code cacheDirectory} null means no statistics cache. */
    public JobServiceImpl(PluginRegistry registry, Config config, Path cacheDirectory) {
        this.registry = registry;
        this.config = config;
        this.statisticsCache = cacheDirectory == null || config.statistics_cache_max_mb() <= 0 ? null
                : new StatisticsCache(cacheDirectory, config.statistics_cache_max_mb() * 1024L * 1024L);
        this.trialBenches = new TrialBenches(registry, JobServiceImpl::parse, this::settings);
        AtomicInteger count = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(Math.max(1, config.workers()), runnable -> {
            Thread thread = new Thread(runnable, "pot4j-job-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    @Override
    public int concurrency() {
        return Math.max(1, config.workers());
    }

    private static Path cacheDirectory(Config config, String state, String home) {
        if (!config.statistics_cache_directory().isBlank()) {
            return Path.of(config.statistics_cache_directory());
        }
        if (state != null && !state.isBlank()) {
            return Path.of(state, "statistics-cache");
        }
        return home == null ? null : Path.of(home, "state", "statistics-cache");
    }

    /** How long deactivation waits for running jobs to stop at their next cancellation check. */
    static final long STOP_GRACE_SECONDS = 20;

    @Deactivate
    void deactivate() {
        jobs.values().forEach(job -> job.cancelled = true);
        trialBenches.close();
        workers.shutdownNow();
        try {
            // until a job has stopped it may be inside ONNX Runtime: the backend bundle, or the JVM on exit, must not
            // tear the native runtime down under it (that crashed bin/pot on Ctrl-C)
            workers.awaitTermination(STOP_GRACE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addSink(JobEventSink sink) {
        sinks.add(sink);
    }

    void removeSink(JobEventSink sink) {
        sinks.remove(sink);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void setTrialTransport(TrialTransport transport) {
        this.trialTransport = transport;
    }

    TrialTransport trialTransport() {
        return trialTransport;
    }

    void unsetTrialTransport(TrialTransport transport) {
        if (this.trialTransport == transport) {
            this.trialTransport = null;
        }
    }

    @Override
    public TrialMeasurement measure(JobRequest request, Map<String, String> choices, TrialSettings settings)
            throws Exception {
        return trialBenches.measure(request, choices, settings);
    }

    @Override
    public void release(String jobId) {
        trialBenches.release(jobId);
    }

    private List<JobEventSink> sinksWith(JobEventSink extra) {
        if (extra == null) {
            return sinks;
        }
        List<JobEventSink> all = new ArrayList<>(sinks);
        all.add(extra);
        return all;
    }

    @Override
    public CompletableFuture<JobResult> submit(JobRequest request) {
        return submit(request, null);
    }

    @Override
    public CompletableFuture<JobResult> submit(JobRequest request, JobEventSink listener) {
        String jobId = request.jobId() == null || request.jobId().isBlank() ? UUID.randomUUID().toString() : request.jobId();
        JobRecord record = new JobRecord(jobId, JobState.ACCEPTED);
        JobRecord existing = jobs.putIfAbsent(jobId, record);
        JobEvents events = new JobEvents(jobId, () -> sinksWith(listener));
        if (existing != null && !existing.state.isTerminal()) {
            events.emit(JobEventType.REJECTED, "job " + jobId + " is already " + existing.state.name().toLowerCase(),
                    "DUPLICATE_JOB", null, null);
            return CompletableFuture.completedFuture(new JobResult(jobId, JobState.REJECTED, null, null, Map.of(),
                    "DUPLICATE_JOB", "job " + jobId + " is already " + existing.state.name().toLowerCase()));
        }
        if (existing != null) {
            jobs.put(jobId, record);
        }
        record.events = events;
        Pipeline pipeline;
        OutputFolder output;
        try {
            pipeline = Pipeline.assemble(parse(request), registry, true);
            // checked before anything is loaded: a bad output directory must not cost the whole job first
            output = request.outputDirectory() == null ? null : OutputFolder.prepare(outputField(request),
                    request.outputDirectory(), pipeline.config().modelName());
        } catch (InvalidInputException e) {
            return finish(record, JobState.REJECTED, JobEventType.REJECTED, e, null);
        }
        events.emit(JobEventType.ACCEPTED, "accepted", null, null,
                Map.of("model", pipeline.config().modelName(), "device", pipeline.deviceName()));
        touch(record, JobState.ACCEPTED, "accepted");
        record.output = output;
        workers.submit(() -> run(record, pipeline, request));
        return record.result;
    }

    /** How the user named the output directory: the CLI's option, the Kafka request's key, else the request's field. */
    private static String outputField(JobRequest request) {
        return switch (request.origin() == null ? "" : request.origin()) {
            case "cli" -> "-o";
            case "kafka" -> "output_dir";
            default -> "outputDirectory";
        };
    }

    private void run(JobRecord record, Pipeline pipeline, JobRequest request) {
        JobEvents events = record.events;
        touch(record, JobState.STARTED, "started");
        events.emit(JobEventType.STARTED, "started", null, null, null);
        try {
            Jobs.Settings settings = settings(pipeline);
            java.util.function.BooleanSupplier stop = () -> {
                if (record.abortReason == null) {
                    pipeline.used().removed().ifPresent(reason -> record.abortReason = reason);
                }
                return record.cancelled || record.abortReason != null;
            };
            JobResult result = Jobs.quantize(record.jobId, pipeline, registry, request, events, stop, settings);
            touch(record, JobState.COMPLETED, result.message());
            events.emit(JobEventType.COMPLETED, result.message(), null, null, result.summary());
            record.result.complete(result);
        } catch (Pot4jException e) {
            if (record.abortReason != null) {
                finish(record, JobState.FAILED, JobEventType.FAILED,
                        new Pot4jException("PLUGIN_REMOVED", record.abortReason, e), null);
            } else if ("CANCELLED".equals(e.code()) || record.cancelled) {
                finish(record, JobState.CANCELLED, JobEventType.CANCELLED, e, null);
            } else {
                finish(record, JobState.FAILED, JobEventType.FAILED, e, null);
            }
        } catch (Throwable e) {
            if (record.abortReason != null) {
                finish(record, JobState.FAILED, JobEventType.FAILED,
                        new Pot4jException("PLUGIN_REMOVED", record.abortReason, e), null);
                return;
            }
            finish(record, record.cancelled ? JobState.CANCELLED : JobState.FAILED,
                    record.cancelled ? JobEventType.CANCELLED : JobEventType.FAILED,
                    new Pot4jException("INTERNAL_ERROR", String.valueOf(e), e), null);
        }
    }

    private CompletableFuture<JobResult> finish(JobRecord record, JobState state, JobEventType type, Pot4jException error,
                                                Map<String, Object> summary) {
        Map<String, Object> details = new LinkedHashMap<>();
        if (error instanceof InvalidInputException invalid) {
            details.put("field", invalid.field());
            if (invalid.value() != null) {
                details.put("value", invalid.value());
            }
            if (invalid.allowed() != null) {
                details.put("allowed", invalid.allowed());
            }
        }
        if (record.output != null) {
            record.output.removeIfEmpty(); // a failed or cancelled job leaves no empty folder behind
        }
        touch(record, state, error.getMessage());
        record.events.emit(type, error.getMessage(), error.code(), null, details);
        JobResult result = new JobResult(record.jobId, state, null, null, summary == null ? Map.of() : summary,
                error.code(), error.getMessage());
        record.result.complete(result);
        return record.result;
    }

    private static void touch(JobRecord record, JobState state, String message) {
        record.state = state;
        record.message = message;
        record.updated = Instant.now();
    }

    private static JobConfig parse(JobRequest request) {
        Path base = request.baseDirectory() == null ? Path.of("").toAbsolutePath() : request.baseDirectory();
        return JobConfigParser.parse(request.config(), base);
    }

    @Override
    public void validate(JobRequest request) {
        Pipeline.assemble(parse(request), registry, true);
    }

    @Override
    public EvaluationReport evaluate(JobRequest request, Path modelOverride, JobEventSink progress) {
        Pipeline pipeline = Pipeline.assemble(parse(request), registry, false);
        Path model = modelOverride != null ? modelOverride : pipeline.config().modelPath();
        Pipeline.requireModelFile(modelOverride != null ? "-m" : "model.model", model);
        String jobId = request.jobId() == null ? "evaluate-" + UUID.randomUUID() : request.jobId();
        JobEvents events = new JobEvents(jobId, () -> sinksWith(progress));
        return Jobs.evaluate(pipeline, model, events, settings(pipeline));
    }

    /** The service's knobs for one job: its engine.batch_size replaces the service's batch_size when set. */
    private Jobs.Settings settings(Pipeline pipeline) {
        Integer jobBatch = pipeline.config().batchSize();
        return new Jobs.Settings(jobBatch != null ? jobBatch : config.batch_size(), config.inference_threads(),
                statisticsCache, trialTransport);
    }

    @Override
    public List<JobStatus> jobs() {
        return jobs.values().stream().map(JobRecord::status)
                .sorted(java.util.Comparator.comparing(JobStatus::updated)).toList();
    }

    @Override
    public Optional<JobStatus> status(String jobId) {
        return Optional.ofNullable(jobs.get(jobId)).map(JobRecord::status);
    }

    @Override
    public boolean cancel(String jobId) {
        JobRecord record = jobs.get(jobId);
        if (record == null || record.state.isTerminal()) {
            return false;
        }
        record.cancelled = true;
        return true;
    }
}
