package org.pot4j.cli.internal;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.annotation.Annotation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.pot4j.algorithm.defaultquantization.internal.DefaultQuantization;
import org.pot4j.algorithm.fastbiascorrection.internal.FastBiasCorrection;
import org.pot4j.algorithm.minmax.internal.MinMaxQuantization;
import org.pot4j.api.command.Command;
import org.pot4j.backend.onnxruntime.internal.OnnxRuntimeBackend;
import org.pot4j.device.any.internal.AnyDevice;
import org.pot4j.device.cpu.internal.CpuDevice;
import org.pot4j.loader.idx.internal.IdxDataLoader;
import org.pot4j.loader.npy.internal.NpyDataLoader;
import org.pot4j.metric.accuracy.internal.AccuracyMetric;
import org.pot4j.metric.similarity.internal.SimilarityMetric;
import org.pot4j.orchestrator.internal.JobServiceImpl;
import org.pot4j.orchestrator.internal.registry.PluginRegistryImpl;

/**
 * The shipped components wired by hand as Declarative Services would wire them, so that command
 * tests run the real orchestrator, loaders, metrics, devices, backend and algorithms without a
 * framework (the framework itself is covered by the itests).
 */
final class RealServer {
    private static final AtomicLong SERVICE_IDS = new AtomicLong();

    final PluginRegistryImpl registry = new PluginRegistryImpl(id -> id == DEPLOYED_BUNDLE
            ? new PluginRegistryImpl.Origin("org.example.deployed", "1.2.3") : new PluginRegistryImpl.Origin("test", "0"));
    /** Bundle id that {@link #props(String, String, long)} callers use for a plugin deployed at run time. */
    static final long DEPLOYED_BUNDLE = 99;
    final JobServiceImpl jobs;

    RealServer() {
        this(null);
    }

    /** With a statistics cache in {@code cacheDirectory} (null: none). */
    RealServer(Path cacheDirectory) {
        registry.bindLoader(new IdxDataLoader(), props("pot4j.loader", "idx"));
        registry.bindLoader(new NpyDataLoader(), props("pot4j.loader", "npy"));
        registry.bindMetric(new AccuracyMetric(), props("pot4j.metric", "accuracy"));
        registry.bindMetric(new SimilarityMetric(), props("pot4j.metric", "similarity"));
        registry.bindDevice(new CpuDevice("auto"), props("pot4j.device", "CPU"));
        registry.bindDevice(new AnyDevice(), props("pot4j.device", "ANY"));
        registry.bindBackend(new OnnxRuntimeBackend(), props("pot4j.backend", "onnxruntime"));
        registry.bindAlgorithm(new MinMaxQuantization(), props("pot4j.algorithm", "MinMaxQuantization"));
        registry.bindAlgorithm(new FastBiasCorrection(), props("pot4j.algorithm", "FastBiasCorrection"));
        registry.bindAlgorithm(new DefaultQuantization(), props("pot4j.algorithm", "DefaultQuantization"));
        jobs = new JobServiceImpl(registry, new JobServiceImpl.Config() {
            @Override
            public int workers() {
                return 1;
            }

            @Override
            public int batch_size() {
                return 8;
            }

            @Override
            public int inference_threads() {
                return 1;
            }

            @Override
            public String statistics_cache_directory() {
                return "";
            }

            @Override
            public int statistics_cache_max_mb() {
                return 64;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return JobServiceImpl.Config.class;
            }
        }, cacheDirectory);
    }

    static Map<String, Object> props(String key, String name) {
        return props(key, name, 1L);
    }

    static Map<String, Object> props(String key, String name, long bundleId) {
        return Map.of(key, name, "service.id", SERVICE_IDS.incrementAndGet(), "service.bundleid", bundleId);
    }

    /** What a command printed and returned. */
    record Run(int exitCode, String out, String err) {
    }

    static Run run(Command command, String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = command.execute(List.of(args), outStream, errStream);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
