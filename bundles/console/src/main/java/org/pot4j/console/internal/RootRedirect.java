package org.pot4j.console.internal;

import java.io.IOException;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** {@code /} sends the browser to the console page; any other path nothing serves is 404. */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/")
public final class RootRedirect extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if ("/".equals(request.getRequestURI())) {
            response.sendRedirect("/console/index.html");
        } else {
            Json.error(response, HttpServletResponse.SC_NOT_FOUND, "path", request.getRequestURI(),
                    "/console/, /api/jobs, /api/plugins, /api/events, /download/JOB/FILE, /metrics or /health");
        }
    }
}
