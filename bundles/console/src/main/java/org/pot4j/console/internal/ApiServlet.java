package org.pot4j.console.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.job.JobService;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The console's JSON API: {@code GET /api/jobs}, {@code GET /api/jobs/ID}, {@code POST /api/jobs} (a job JSON),
 * {@code POST /api/jobs/ID/cancel}, {@code GET /api/plugins}.
 */
@Component(service = Servlet.class, configurationPid = ConsoleConfig.PID)
@HttpWhiteboardServletPattern({"/api/jobs", "/api/jobs/*", "/api/plugins"})
public final class ApiServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    /** A job JSON is a few kB; this bounds what a client can make the server buffer. */
    static final int MAX_JOB_BYTES = 1 << 20;

    private final transient JobBoard board;
    private final transient JobList jobList;
    private final transient JobService jobService;
    private final transient PluginTracker plugins;
    private final transient Access access;
    private final transient JobSubmission submission;

    @Activate
    public ApiServlet(BundleContext context, ConsoleConfig config, @Reference JobBoard board,
                      @Reference JobList jobList, @Reference JobService jobService,
                      @Reference PluginTracker plugins) {
        this.board = board;
        this.jobList = jobList;
        this.jobService = jobService;
        this.plugins = plugins;
        this.access = Access.of(config);
        String home = context.getProperty("pot4j.home");
        Path base = Path.of(home == null ? "." : home).toAbsolutePath();
        this.submission = new JobSubmission(jobService, base, JobSubmission.roots(base, config.allowed_roots()));
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String servletPath = request.getServletPath();
        String path = request.getPathInfo();
        if ("/api/plugins".equals(servletPath)) {
            Json.write(response, 200, plugins.plugins());
        } else if (path == null || path.equals("/")) {
            Json.write(response, 200, jobList.rows());
        } else {
            Map<String, Object> detail = jobList.detail(path.substring(1));
            if (detail == null) {
                Json.error(response, 404, "job", path.substring(1), "no such job in " + jobList.source());
            } else {
                Json.write(response, 200, detail);
            }
        }
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!access.check(request, response)) {
            return;
        }
        String path = request.getPathInfo();
        if (path == null || path.equals("/")) {
            submit(request, response);
        } else if (path.endsWith("/cancel") && path.length() > "/cancel".length() + 1) {
            String jobId = path.substring(1, path.length() - "/cancel".length());
            boolean cancelled = jobService.cancel(jobId);
            Json.write(response, cancelled ? 200 : 409, Map.of("id", jobId, "cancelled", cancelled));
        } else {
            Json.error(response, 404, "path", path, "POST /api/jobs or /api/jobs/ID/cancel");
        }
    }

    private void submit(HttpServletRequest request, HttpServletResponse response) throws IOException {
        byte[] body = request.getInputStream().readNBytes(MAX_JOB_BYTES + 1);
        if (body.length > MAX_JOB_BYTES) {
            Json.error(response, 413, "(job JSON)", body.length + "+ bytes", "at most " + MAX_JOB_BYTES + " bytes");
            return;
        }
        JobRequest job;
        try {
            job = submission.request(new String(body, StandardCharsets.UTF_8));
        } catch (InvalidInputException e) {
            Json.error(response, 400, e.field(), e.value(), e.getMessage());
            return;
        }
        board.submitted(job.jobId(), JobSubmission.algorithm(job.config()), null);
        jobService.submit(job);
        Json.write(response, 202, Map.of("id", job.jobId()));
    }
}
