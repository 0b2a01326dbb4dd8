package org.pot4j.itests.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The web console of a real `pot serve` (the built distribution, a real KRaft broker) driven by headless Chromium
 * through Selenium: jobs sent on Kafka appear and progress without a reload, a model downloads with the snapshot's
 * sha256, an AccuracyAware job shows its plot, a bad job JSON names its field, a dropped plugin shows up, the token
 * guards submit and downloads, /metrics counts the jobs. Screenshots go to target/.
 */
class ConsoleIT {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final String TOKEN = "console-it-token";
    static final Pattern URL = Pattern.compile("pot4j console: (http://\\S+)");

    static KafkaHarness kafka;
    static KafkaHarness.ServerProcess server;
    static KafkaHarness.Recorder recorder;
    static KafkaHarness.Topics topics = new KafkaHarness.Topics("console");
    static WebDriver browser;
    static String base;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "ConsoleIT skipped: Debian's chromium and chromium-driver are not installed (" + CHROMIUM + ", "
                        + CHROMEDRIVER + "); .ci/run installs them");
        kafka = new KafkaHarness();
        // the console on a free port, with a token: the URL comes from serve's own output
        Path conf = Files.createDirectories(kafka.serverHomes.resolve("console").resolve("conf"));
        Files.writeString(conf.resolve("org.pot4j.console.cfg"), "port = 0\ntoken = " + TOKEN + "\n");
        server = kafka.startServer("console", kafka.options(topics, "console"));
        server.awaitServing();
        KafkaHarness.waitUntil("the console URL in serve's output:\n" + server.output(), Duration.ofSeconds(30),
                () -> URL.matcher(server.output()).find());
        Matcher url = URL.matcher(server.output());
        assertTrue(url.find());
        base = url.group(1).replaceAll("/$", "");
        recorder = kafka.new Recorder(List.of(topics.snapshots()));

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().implicitlyWait(Duration.ZERO);
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (recorder != null) {
            recorder.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theConsoleFollowsJobsDownloadsPlotsAndRefusesBadInput() throws Exception {
        browser.get(base + "/");
        waitFor("the jobs table", () -> !browser.findElements(By.id("jobs")).isEmpty());
        browser.findElement(By.id("token")).sendKeys(TOKEN + "\n");

        // a job sent on Kafka appears, its progress moves without a reload, it ends COMPLETED
        kafka.send(topics.requests(), "w-default", KafkaHarness.json(Map.of("job_id", "w-default",
                "config", kafka.exampleConfig(300, true))));
        Set<String> progress = new LinkedHashSet<>();
        long deadline = System.nanoTime() + KafkaHarness.JOB_TIMEOUT.toNanos();
        String state = "";
        while (!state.equals("COMPLETED") && System.nanoTime() < deadline) {
            // read in one script: the page re-renders the table on every event
            List<?> row = (List<?>) js("const r = document.querySelector(\"tr[data-job='w-default']\");"
                    + " if (!r) return null; const p = r.querySelector('progress');"
                    + " return [r.querySelector('td.state').textContent, p ? p.value + '/' + p.max : ''];");
            if (row != null) {
                state = String.valueOf(row.get(0));
                if (!String.valueOf(row.get(1)).isEmpty()) {
                    progress.add(String.valueOf(row.get(1)));
                }
                assertTrue(!Set.of("FAILED", "REJECTED", "CANCELLED").contains(state), state + "\n" + server.output());
            }
            Thread.sleep(50);
        }
        assertEquals("COMPLETED", state, "the job's state on the page; serve:\n" + server.output());
        assertTrue(progress.size() >= 3, "progress seen moving on one page load: " + progress);
        screenshot("console-jobs.png");

        // its page lists the final model; the download is the final snapshot (same sha256)
        browser.get(base + "/console/index.html#/job/w-default");
        waitFor("the job page's files", () -> !browser.findElements(By.cssSelector("#files a")).isEmpty());
        String href = browser.findElements(By.cssSelector("#files a")).stream().map(a -> a.getAttribute("href"))
                .filter(h -> h.contains("/optimized/")).findFirst().orElseThrow();
        HttpResponse<byte[]> model = HTTP.send(HttpRequest.newBuilder(URI.create(href)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, model.statusCode());
        List<ConsumerRecord<String, byte[]>> finalChunks = recorder.of(topics.snapshots(), "w-default").stream()
                .filter(r -> "true".equals(KafkaHarness.header(r, "pot4j.snapshot.final"))).toList();
        assertTrue(!finalChunks.isEmpty(), "the final snapshot on Kafka");
        assertEquals(KafkaHarness.header(finalChunks.get(0), "pot4j.sha256"), sha256(model.body()));

        // without the token: no download, no submit, no cancel; no path out of the job's folder with it
        String plain = href.substring(0, href.indexOf('?'));
        assertEquals(401, status("GET", plain, null, null));
        assertEquals(401, status("POST", base + "/api/jobs", null, "{}"));
        assertEquals(401, status("POST", base + "/api/jobs/w-default/cancel", null, ""));
        for (String escape : List.of("../../conf/org.pot4j.console.cfg", "%2e%2e/%2e%2e/conf/org.pot4j.console.cfg",
                "optimized/..%2f..%2f..%2fconf%2forg.pot4j.console.cfg", "%252e%252e/%252e%252e/serve.log")) {
            int code = status("GET", base + "/download/w-default/" + escape, TOKEN, null);
            assertTrue(code == 400 || code == 404, escape + " answered " + code);
        }

        // an AccuracyAware job: its page draws the metric per iteration and the layer ranking
        Map<String, Object> aa = kafka.exampleConfig(300, true);
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("preset", "performance");
        params.put("stat_subset_size", 300);
        params.put("maximal_drop", 0.0);
        params.put("max_iter_num", 2);
        ((Map<String, Object>) aa.get("compression")).put("algorithms",
                List.of(Map.of("name", "AccuracyAwareQuantization", "params", params)));
        ((Map<String, Object>) aa.get("model")).put("model_name", "cnn_relu_aa");
        kafka.send(topics.requests(), "w-aa", KafkaHarness.json(Map.of("job_id", "w-aa", "config", aa)));
        browser.get(base + "/console/index.html#/job/w-aa");
        waitFor("the AccuracyAware job's end; serve:\n" + server.output(), KafkaHarness.JOB_TIMEOUT, () -> {
            Object s = js("const s = document.getElementById('job-state'); return s ? s.textContent : null;");
            if (s == null) { // the page was opened before the server saw the job: open it again
                browser.navigate().refresh();
                sleep(500);
                return false;
            }
            return Set.of("COMPLETED", "FAILED", "REJECTED", "CANCELLED").contains(s);
        });
        waitFor("the page reloaded after the end", () -> "COMPLETED".equals(
                js("const s = document.getElementById('job-state'); return s ? s.textContent : null;")));
        waitFor("the iteration plot", () -> !browser.findElements(By.cssSelector("#aa-plot circle.point")).isEmpty());
        assertTrue(!browser.findElements(By.cssSelector("#aa-plot line.baseline")).isEmpty());
        // the bound comes from report.json, fetched by the page with the token
        waitFor("the bound from the report", () -> !browser.findElements(By.cssSelector("#aa-plot line.bound")).isEmpty());
        waitFor("the ignored nodes of the report", () -> !browser.findElements(By.cssSelector("#ignored td")).isEmpty());
        assertTrue(!browser.findElements(By.cssSelector("#aa-ranking rect.bar")).isEmpty(), "the ranking bars");
        screenshot("console-accuracy-aware.png");

        // a bad job JSON in the form: the named field is shown. The example's files lie outside the console's
        // allowed roots (the server's models, data, outputs, examples): refused by field before anything is read
        Map<String, Object> bad = kafka.exampleConfig(300, true);
        assertEquals("model.model", submitForm(bad));
        // inside them (copied into the server's data/), the parser's own error names the bad preset
        Map<String, Object> inside = intoFolder(bad, server.home.resolve("data"), "data");
        ((Map<String, Object>) ((List<Map<String, Object>>) ((Map<String, Object>) inside.get("compression"))
                .get("algorithms")).get(0).get("params")).put("preset", "fastest");
        assertEquals("compression.algorithms[0].params.preset", submitForm(inside));
        screenshot("console-submit-error.png");

        // a plugin bundle dropped into deploy/ shows on the plugins page
        browser.get(base + "/console/index.html#/plugins");
        waitFor("the plugins table", () -> !browser.findElements(By.cssSelector("#plugins td.name")).isEmpty());
        long dropped = System.nanoTime();
        Files.copy(Path.of(KafkaHarness.required("pot4j.itest.sample")),
                server.home.resolve("deploy").resolve("sample.jar"), StandardCopyOption.REPLACE_EXISTING);
        waitFor("SampleNoOp on the plugins page", Duration.ofSeconds(10), () -> Boolean.TRUE.equals(js(
                "return [...document.querySelectorAll('#plugins td.name')].some(e => e.textContent === 'SampleNoOp');")));
        long millis = (System.nanoTime() - dropped) / 1_000_000;
        // a figure, not a timed assertion (the machine is shared): the issue asks for 2 s
        System.out.println("ConsoleIT: a dropped plugin showed on the plugins page after " + millis + " ms");

        // /metrics: the text format, counting the two completed jobs; /health: UP
        HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        Map<String, String> samples = new LinkedHashMap<>();
        for (String line : metrics.body().split("\n")) {
            if (!line.startsWith("#")) {
                assertTrue(line.matches("[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[^}]*\\})? \\S+"), line);
                samples.put(line.substring(0, line.lastIndexOf(' ')), line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        assertEquals("2", samples.get("pot4j_jobs_ended_total{state=\"COMPLETED\"}"), metrics.body());
        assertEquals("2", samples.get("pot4j_jobs{state=\"COMPLETED\"}"), metrics.body());
        assertEquals(200, status("GET", base + "/health", null, null));

        // /health follows the broker: 503 while it is down, 200 once it is back
        kafka.cluster.brokers().values().forEach(broker -> broker.shutdown());
        waitFor("/health 503 with the broker down", () -> statusQuietly(base + "/health") == 503);
        kafka.cluster.brokers().values().forEach(broker -> broker.startup());
        waitFor("/health 200 with the broker back", Duration.ofSeconds(60), () -> statusQuietly(base + "/health") == 200);
    }

    static int statusQuietly(String url) {
        try {
            return status("GET", url, null, null);
        } catch (Exception e) {
            return -1;
        }
    }

    static int status(String method, String url, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    static Object js(String script) {
        return ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(script);
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void waitFor(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        waitFor(what, Duration.ofSeconds(30), condition);
    }

    static void waitFor(String what, Duration timeout, java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        KafkaHarness.waitUntil(what, timeout, condition);
    }

    static void screenshot(String name) throws Exception {
        Path target = Path.of(KafkaHarness.required("pot4j.itest.work")).getParent().resolve(name);
        Files.write(target, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        System.out.println("ConsoleIT: screenshot " + target);
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** Puts {@code config} into the submit form and returns the field its error names. */
    private String submitForm(Map<String, Object> config) throws Exception {
        browser.get(base + "/console/index.html#/jobs"); // a fresh form, without the last error
        browser.get(base + "/console/index.html#/submit");
        waitFor("a fresh submit form", () -> !browser.findElements(By.id("job-json")).isEmpty()
                && browser.findElements(By.cssSelector("#submit-error .field")).isEmpty());
        WebElement form = browser.findElement(By.id("job-json"));
        form.clear();
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("arguments[0].value = arguments[1];", form,
                new String(KafkaHarness.json(config)));
        browser.findElement(By.id("submit")).click();
        waitFor("the form's error", () -> !browser.findElements(By.cssSelector("#submit-error .field")).isEmpty());
        return browser.findElement(By.cssSelector("#submit-error .field")).getText();
    }

    /** A copy of {@code config} whose model and image/label files are copied into {@code folder}, named relatively. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> intoFolder(Map<String, Object> config, Path folder, String relative)
            throws java.io.IOException {
        Map<String, Object> copy = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : config.entrySet()) {
            Object value = entry.getValue();
            if (value instanceof Map<?, ?> map) {
                value = intoFolder((Map<String, Object>) map, folder, relative);
            } else if (value instanceof String text && Set.of("model", "images", "labels")
                    .contains(entry.getKey()) && Path.of(text).isAbsolute() && Files.isRegularFile(Path.of(text))) {
                Path source = Path.of(text);
                Files.copy(source, folder.resolve(source.getFileName()),
                        StandardCopyOption.REPLACE_EXISTING);
                value = relative + "/" + source.getFileName();
            } else if (value instanceof List<?> list) {
                List<Object> items = new ArrayList<>();
                for (Object item : list) {
                    items.add(item instanceof Map<?, ?> m ? intoFolder((Map<String, Object>) m, folder, relative) : item);
                }
                value = items;
            }
            copy.put(entry.getKey(), value);
        }
        return copy;
    }
}
