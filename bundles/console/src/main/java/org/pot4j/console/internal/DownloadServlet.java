package org.pot4j.console.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code GET /download/JOB/RELATIVE}: a file of the job's output folder ({@code optimized/<model>.onnx},
 * {@code report.json}, {@code intermediate/NNN-label.onnx}), nothing else (see {@link OutputFiles}).
 */
@Component(service = Servlet.class, configurationPid = ConsoleConfig.PID)
@HttpWhiteboardServletPattern("/download/*")
public final class DownloadServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final transient JobBoard board;
    private final transient Access access;

    @Activate
    public DownloadServlet(ConsoleConfig config, @Reference JobBoard board) {
        this.board = board;
        this.access = Access.of(config);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!access.check(request, response)) {
            return;
        }
        String path = request.getPathInfo();
        int slash = path == null ? -1 : path.indexOf('/', 1);
        if (slash < 0) {
            Json.error(response, 404, "path", path, "/download/JOB/FILE, FILE a file of the job's output folder");
            return;
        }
        String jobId = path.substring(1, slash);
        JobView view = board.job(jobId);
        Optional<Path> file = OutputFiles.resolve(view == null ? null : view.outputFolder(), path.substring(slash + 1));
        if (file.isEmpty()) {
            Json.error(response, 404, "path", path, "a file of the output folder of a job of this server");
            return;
        }
        response.setContentType(file.get().getFileName().toString().endsWith(".json")
                ? "application/json" : "application/octet-stream");
        response.setContentLengthLong(Files.size(file.get()));
        response.setHeader("Content-Disposition", "attachment; filename=\"" + file.get().getFileName() + "\"");
        Files.copy(file.get(), response.getOutputStream());
    }
}
