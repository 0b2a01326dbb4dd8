package org.pot4j.console.internal;

import java.io.IOException;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.pot4j.api.job.JobService;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** {@code GET /metrics}: the Prometheus text format (see {@link JobMetrics}). */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/metrics")
public final class MetricsServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final transient JobBoard board;
    private final transient JobService jobService;

    @Activate
    public MetricsServlet(@Reference JobBoard board, @Reference JobService jobService) {
        this.jobService = jobService;
        this.board = board;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Map<String, Long> byState = board.countsByState(jobService);
        long running = byState.getOrDefault("STARTED", 0L);
        response.setContentType("text/plain; version=0.0.4; charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        response.getWriter().write(board.metrics().render(byState, running, jobService.concurrency()));
    }
}
