package org.pot4j.console.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.pot4j.api.job.JobService;
import org.pot4j.api.monitor.MetricFamily;
import org.pot4j.api.monitor.MetricSource;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code GET /metrics}: the Prometheus text format (see {@link JobMetrics}): the job list's gauges, this server's
 * counters, and the families of every {@link MetricSource} service (the Kafka bundle's under serve).
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/metrics")
public final class MetricsServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final transient JobBoard board;
    private final transient JobList jobList;
    private final transient JobService jobService;
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private transient volatile List<MetricSource> sources = List.of();

    @Activate
    public MetricsServlet(@Reference JobBoard board, @Reference JobList jobList, @Reference JobService jobService) {
        this.jobService = jobService;
        this.jobList = jobList;
        this.board = board;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Map<String, Long> byState = jobList.countsByState();
        List<MetricFamily> families = new ArrayList<>();
        for (MetricSource source : sources) {
            try {
                families.addAll(source.metrics());
            } catch (RuntimeException e) {
                // a source that fails is left out of this scrape; the others still count
            }
        }
        response.setContentType("text/plain; version=0.0.4; charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        response.getWriter().write(board.metrics().render(byState, jobList.here("STARTED"),
                jobList.here("ACCEPTED"), jobService.concurrency(), families));
    }
}
