package org.pot4j.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.pot4j.runtime.itest.StandInServe;

/**
 * {@code bin/pot serve} as a child process: the embedded broker is a real Kafka (a plain client
 * creates a topic, produces and consumes), SIGTERM stops it with exit 0, and a restart finds the
 * topic and its record again in state/kafka.
 */
class ServeIT {

    private static final Path DIST = Path.of(System.getProperty("pot4j.dist", "target/pot4j")).toAbsolutePath();
    private static final Pattern KAFKA_LINE = Pattern.compile("pot4j server: Kafka at (127\\.0\\.0\\.1:(\\d+)) \\(embedded\\)");
    private static final String TOPIC = "serve-it";
    private static final String KAFKA_BUNDLE = "org.pot4j.kafka";

    static {
        // the test's own Kafka clients log through slf4j-simple: warnings only
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }

    @Test
    void embeddedBrokerIsRealStopsOnSigtermAndKeepsItsLogAcrossARestart() throws Exception {
        Path home = distributionCopy();
        boolean kafkaBundleShipped = shipsKafkaBundle();
        if (!kafkaBundleShipped) {
            writeStandInServeBundle(home.resolve("deploy").resolve("stand-in-serve.jar"));
        }
        String value = "queued before a restart " + System.nanoTime();

        try (ServeProcess first = ServeProcess.start(home, freePort())) {
            String bootstrap = first.awaitKafka();
            System.out.println("bin/pot serve: embedded Kafka at " + bootstrap + " after " + first.millisToKafka() + " ms");
            if (kafkaBundleShipped) {
                // the Kafka bundle's serve command says so once its consumer is up
                first.awaitLine(line -> line.startsWith("pot4j serving"));
            } else {
                String line = first.awaitLine(l -> l.startsWith("stand-in serve:"));
                assertEquals("stand-in serve: pot4j.kafka.enabled=true pot4j.kafka.bootstrap.servers=" + bootstrap, line);
            }
            System.out.println("bin/pot serve: serve command running after " + first.millisSinceStart() + " ms");
            try (Admin admin = admin(bootstrap)) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
                try (KafkaProducer<String, String> producer = producer(bootstrap)) {
                    producer.send(new ProducerRecord<>(TOPIC, "key", value)).get(30, TimeUnit.SECONDS);
                }
                assertEquals(List.of(value), readAll(bootstrap));
                if (kafkaBundleShipped) {
                    awaitTopic(admin, "pot4j.requests");
                }
            }
            long stopStarted = System.nanoTime();
            int code = first.stop();
            System.out.println("bin/pot serve: stopped in " + (System.nanoTime() - stopStarted) / 1_000_000 + " ms");
            assertEquals(0, code, "exit code after SIGTERM; stderr:\n" + first.err());
            if (!kafkaBundleShipped) {
                assertTrue(first.out().contains("stand-in serve: interrupted"),
                        "the serve command's thread is interrupted:\n" + first.out());
            }
            assertNoBrokerLogging(first.err());
        }
        assertTrue(Files.isRegularFile(home.resolve("state/kafka/meta.properties")), "state/kafka is formatted");
        assertTrue(Files.isDirectory(home.resolve("state/kafka/" + TOPIC + "-0")), "the topic's log is in state/kafka");

        // a copy of the used distribution (its cache names the first one's jars, which still exist), on another
        // port: the storage depends on neither
        Path copy = copyOfUsedDistribution(home);
        try (ServeProcess second = ServeProcess.start(copy, freePort())) {
            String bootstrap = second.awaitKafka();
            if (kafkaBundleShipped) {
                second.awaitLine(line -> line.startsWith("pot4j serving")); // the copy's bundles resolve and start
            }
            System.out.println("bin/pot serve (restart): embedded Kafka at " + bootstrap + " after "
                    + second.millisToKafka() + " ms");
            try (Admin admin = admin(bootstrap)) {
                assertTrue(admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(TOPIC));
            }
            assertEquals(List.of(value), readAll(bootstrap), "the record queued before the restart");
            assertEquals(0, second.stop(), "exit code after SIGTERM; stderr:\n" + second.err());
            assertNoBrokerLogging(second.err());
            assertFalse(second.err().contains("cannot install") || second.err().contains("did not start"), second.err());
        }

        // a folder that is not a partition in the broker's log dir (what a job writing into data/kafka/ left when the
        // log lived there): the broker halts the server, which used to exit 1 printing nothing; it now says why
        Files.createDirectories(copy.resolve("state/kafka/kafka/optimized"));
        try (ServeProcess third = ServeProcess.start(copy, freePort())) {
            assertTrue(third.process.waitFor(120, TimeUnit.SECONDS), "bin/pot serve did not exit; stderr:\n" + third.err());
            assertEquals(1, third.process.exitValue(), third.err());
            assertTrue(third.err().contains("pot: the embedded Kafka broker stopped the server (exit code 1)")
                    && third.err().contains("'kafka' is not in the form of topic-partition")
                    && third.err().contains("state/logs/kafka.log"), third.err());
        }
    }

    private static void assertNoBrokerLogging(String stderr) {
        for (String marker : List.of("org.apache.kafka", "kafka.server", "SLF4J", "log4j", "StatusLogger")) {
            assertFalse(stderr.contains(marker), "broker logging on the console (" + marker + "):\n" + stderr);
        }
    }

    private static void awaitTopic(Admin admin, String topic) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Set<String> names = Set.of();
        while (System.nanoTime() < deadline) {
            names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            if (names.contains(topic)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the serving runtime's topic " + topic + " did not appear; topics: " + names);
    }

    private static List<String> readAll(String bootstrap) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(properties)) {
            TopicPartition partition = new TopicPartition(TOPIC, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), Duration.ofSeconds(30)).get(partition);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (consumer.position(partition, Duration.ofSeconds(30)) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }

    private static Admin admin(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(), new StringSerializer());
    }

    /** {@code home} copied elsewhere as a user would copy a distribution that has served: state/ included. */
    private static Path copyOfUsedDistribution(Path home) throws IOException {
        Path copy = distributionCopy();
        copyTree(home.resolve("state"), copy.resolve("state"));
        return copy;
    }

    /** The files and folders under {@code from} into {@code to}, replacing files there. */
    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : files.toList()) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /**
     * The distribution with its own state/ (and so its own Kafka log): bin/ and conf/ copied,
     * lib/ and bundle/ linked. A bootstrap configured in conf/ is dropped: this test is about
     * the embedded broker.
     */
    private static Path distributionCopy() throws IOException {
        return distributionCopy(Files.createTempDirectory(DIST.getParent(), "serve-it-").resolve("pot4j"));
    }

    /** The distribution at {@code home} (a folder not there yet), as {@link #distributionCopy()} describes. */
    static Path distributionCopy(Path home) throws IOException {
        Files.createDirectories(home.resolve("bin"));
        Files.copy(DIST.resolve("bin/pot"), home.resolve("bin/pot"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.createSymbolicLink(home.resolve("lib"), DIST.resolve("lib"));
        Files.createSymbolicLink(home.resolve("bundle"), DIST.resolve("bundle"));
        Files.createDirectories(home.resolve("conf"));
        try (Stream<Path> files = Files.list(DIST.resolve("conf"))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, home.resolve("conf").resolve(file.getFileName()));
            }
        }
        Path kafkaConfig = home.resolve("conf").resolve(Server.KAFKA_CONFIG_FILE);
        if (Files.exists(kafkaConfig)) {
            List<String> kept = Files.readAllLines(kafkaConfig).stream()
                    .filter(line -> !line.trim().startsWith(Server.KAFKA_CONFIG_BOOTSTRAP)).toList();
            Files.write(kafkaConfig, kept);
        }
        Files.createDirectories(home.resolve("deploy"));
        Files.createDirectories(home.resolve("state"));
        return home;
    }

    private static boolean shipsKafkaBundle() throws IOException {
        try (Stream<Path> jars = Files.list(DIST.resolve("bundle"))) {
            for (Path jar : jars.filter(path -> path.toString().endsWith(".jar")).toList()) {
                try (JarFile file = new JarFile(jar.toFile())) {
                    String name = file.getManifest().getMainAttributes().getValue("Bundle-SymbolicName");
                    if (name != null && name.split(";")[0].trim().equals(KAFKA_BUNDLE)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** A bundle with {@link StandInServe} as the DS component behind pot4j.command=serve. */
    private static void writeStandInServeBundle(Path jar) throws IOException {
        String className = StandInServe.class.getName();
        String classPath = className.replace('.', '/') + ".class";
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", "org.pot4j.runtime.itest.serve");
        main.putValue("Bundle-Version", "1.0.0");
        main.putValue("Import-Package",
                "org.osgi.framework;version=\"[1.8,2)\",org.pot4j.api.command;version=\"[1.0,2)\"");
        main.putValue("Service-Component", "OSGI-INF/serve.xml");
        String component = """
                <?xml version="1.0" encoding="UTF-8"?>
                <scr:component xmlns:scr="http://www.osgi.org/xmlns/scr/v1.3.0" name="itest.serve" activate="activate">
                  <implementation class="%s"/>
                  <service><provide interface="org.pot4j.api.command.Command"/></service>
                  <property name="pot4j.command" value="serve"/>
                  <property name="pot4j.command.description" value="stand-in serve of ServeIT"/>
                </scr:component>
                """.formatted(className);
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest);
             InputStream classBytes = StandInServe.class.getClassLoader().getResourceAsStream(classPath)) {
            assertNotNull(classBytes, classPath);
            out.putNextEntry(new JarEntry(classPath));
            classBytes.transferTo(out);
            out.closeEntry();
            out.putNextEntry(new JarEntry("OSGI-INF/serve.xml"));
            out.write(component.getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            return socket.getLocalPort();
        }
    }

    /**
     * bin/pot serve as a child process, stdout and stderr into files (Process.destroy closes the
     * pipes, so what the server prints while stopping would be lost on them).
     */
    private static final class ServeProcess implements AutoCloseable {
        private final Process process;
        private final long started = System.nanoTime();
        private final Path outFile;
        private final Path errFile;
        private int linesSeen;
        private volatile long kafkaAt;

        private ServeProcess(Process process, Path outFile, Path errFile) {
            this.process = process;
            this.outFile = outFile;
            this.errFile = errFile;
        }

        static ServeProcess start(Path home, int port) throws IOException {
            Path outFile = Files.createTempFile(home.getParent(), "serve-", ".out");
            Path errFile = Files.createTempFile(home.getParent(), "serve-", ".err");
            ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/pot").toString(), "serve")
                    .redirectOutput(outFile.toFile()).redirectError(errFile.toFile());
            builder.environment().remove(Server.BOOTSTRAP_ENV);
            builder.environment().put("POT4J_JAVA_OPTS", "-D" + Server.EMBEDDED_PORT_PROPERTY + "=" + port);
            Process process = builder.start();
            process.getOutputStream().close();
            return new ServeProcess(process, outFile, errFile);
        }

        String awaitKafka() throws Exception {
            Matcher matcher = KAFKA_LINE.matcher(awaitLine(line -> KAFKA_LINE.matcher(line).matches()));
            assertTrue(matcher.matches());
            kafkaAt = System.nanoTime();
            return matcher.group(1);
        }

        /** The first complete stdout line after those already seen that {@code wanted} accepts. */
        String awaitLine(java.util.function.Predicate<String> wanted) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                boolean exited = !process.isAlive();
                String text = out();
                List<String> complete = text.lines().limit(text.endsWith("\n") ? Long.MAX_VALUE
                        : Math.max(0, text.lines().count() - 1)).toList();
                while (linesSeen < complete.size()) {
                    String line = complete.get(linesSeen++);
                    if (wanted.test(line)) {
                        return line;
                    }
                }
                if (exited) {
                    throw new AssertionError("bin/pot serve exited with " + process.exitValue() + "; stdout:\n" + text
                            + "\nstderr:\n" + err());
                }
                Thread.sleep(100);
            }
            throw new AssertionError("bin/pot serve did not print the expected line in 60 s; stdout:\n" + out()
                    + "\nstderr:\n" + err());
        }

        long millisToKafka() {
            return (kafkaAt - started) / 1_000_000;
        }

        long millisSinceStart() {
            return (System.nanoTime() - started) / 1_000_000;
        }

        /** SIGTERM (Process.destroy), then the exit code. */
        int stop() throws Exception {
            process.destroy();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "bin/pot serve did not stop on SIGTERM within 60 s");
            return process.exitValue();
        }

        String out() {
            try {
                return Files.readString(outFile);
            } catch (IOException e) {
                return e.toString();
            }
        }

        String err() {
            try {
                return Files.readString(errFile);
            } catch (IOException e) {
                return e.toString();
            }
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }
}
