package org.pot4j.console.internal;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.pot4j.api.job.JobService;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code GET /health}: 200 when the framework runs and, under {@code serve}, the Kafka broker accepts connections;
 * 503 otherwise. The body says each part and how many workers are busy.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/health")
public final class HealthServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    static final String BOOTSTRAP = "pot4j.kafka.bootstrap.servers";

    private final transient JobList jobList;
    private final transient JobService jobService;
    private final transient BundleContext context;

    @Activate
    public HealthServlet(BundleContext context, @Reference JobList jobList, @Reference JobService jobService) {
        this.jobService = jobService;
        this.context = context;
        this.jobList = jobList;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("framework", "up");
        boolean healthy = true;
        String bootstrap = context.getProperty(BOOTSTRAP);
        if (bootstrap != null && !bootstrap.isBlank()) {
            String reachable = BrokerProbe.reachable(bootstrap);
            body.put("broker", reachable == null ? "unreachable: " + bootstrap : "reachable: " + reachable);
            healthy = reachable != null;
        }
        int workers = jobService.concurrency();
        long running = jobList.here("STARTED");
        body.put("workers", workers);
        body.put("workers_busy", running);
        body.put("status", healthy ? "UP" : "DOWN");
        Json.write(response, healthy ? 200 : 503, body);
    }
}
