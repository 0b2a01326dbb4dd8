package org.pot4j.orchestrator.internal.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;
import org.pot4j.model.AtomicFiles;
import org.pot4j.stats.CollectedStatistics;

/**
 * Collected statistics kept on disk between jobs, one file per (model bytes, dataset identity,
 * sample indices), holding every request collected for that key so far. A job asking for the same
 * model and data with other requests collects only what is missing. Bounded: the least recently
 * used files go first. A damaged file is treated as absent.
 */
public final class StatisticsCache {
    private final Path directory;
    private final long maxBytes;

    public StatisticsCache(Path directory, long maxBytes) {
        this.directory = directory;
        this.maxBytes = maxBytes;
    }

    /** Hash of what statistics depend on besides the requests. */
    public static String key(byte[] modelBytes, String datasetIdentity, int[] indices) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(modelBytes);
            digest.update((byte) 0);
            digest.update(datasetIdentity.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            for (int index : indices) {
                digest.update(new byte[] {(byte) (index >>> 24), (byte) (index >>> 16), (byte) (index >>> 8), (byte) index});
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Everything stored for the key (empty when nothing is), and marks it recently used. */
    public synchronized CollectedStatistics load(String key) {
        Path file = file(key);
        if (!Files.isRegularFile(file)) {
            return new CollectedStatistics(Map.of(), 0);
        }
        try {
            CollectedStatistics statistics = CollectedStatistics.fromBytes(Files.readAllBytes(file));
            Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis()));
            return statistics;
        } catch (IOException | RuntimeException e) {
            return new CollectedStatistics(Map.of(), 0);
        }
    }

    /** Adds {@code fresh} to what is stored for the key, then trims the cache to its bound. */
    public synchronized void store(String key, Statistics fresh) {
        Map<StatisticRequest, float[]> merged = new LinkedHashMap<>();
        CollectedStatistics old = load(key);
        old.requests().forEach(r -> merged.put(r, old.get(r)));
        fresh.requests().forEach(r -> merged.put(r, fresh.get(r)));
        try {
            AtomicFiles.write(file(key), new CollectedStatistics(merged, fresh.samples()).toBytes());
            trim();
        } catch (IOException e) {
            // the cache is an optimisation: a full disk must not fail the job
        }
    }

    private void trim() throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> list = Files.list(directory)) {
            list.filter(p -> p.getFileName().toString().endsWith(".stats")).forEach(files::add);
        }
        files.sort(Comparator.comparing(StatisticsCache::lastModified).reversed());
        long total = 0;
        for (Path file : files) {
            total += Files.size(file);
            if (total > maxBytes) {
                Files.deleteIfExists(file);
            }
        }
    }

    private static FileTime lastModified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private Path file(String key) {
        return directory.resolve(key + ".stats");
    }
}
