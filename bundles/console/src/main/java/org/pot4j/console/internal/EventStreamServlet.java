package org.pot4j.console.internal;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletAsyncSupported;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code GET /api/events}: Server-Sent Events, one {@code data:} line per message of the {@link LiveFeed}: a job
 * event with the job's new table row, or the new plugin list.
 * Events are queued per client and written by the client's own thread, so that a slow browser never holds up the
 * job thread that emitted them; a client that falls {@value #QUEUE} events behind is dropped (it reconnects).
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/api/events")
@HttpWhiteboardServletAsyncSupported
public final class EventStreamServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    static final int QUEUE = 1000;
    /** A comment line this often keeps proxies from closing a quiet stream. */
    static final long HEARTBEAT_SECONDS = 15;

    private final transient LiveFeed feed;

    @Activate
    public EventStreamServlet(@Reference LiveFeed feed) {
        this.feed = feed;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("text/event-stream;charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        AsyncContext async = request.startAsync();
        async.setTimeout(0);
        PrintWriter writer = response.getWriter();
        writer.write("retry: 1000\n\n");
        writer.flush();
        BlockingQueue<Map<String, Object>> queue = new ArrayBlockingQueue<>(QUEUE);
        Thread[] self = new Thread[1];
        Consumer<Map<String, Object>> listener = message -> {
            if (!queue.offer(message) && self[0] != null) {
                self[0].interrupt();
            }
        };
        self[0] = new Thread(() -> stream(async, writer, queue, listener), "pot4j-console-events");
        self[0].setDaemon(true);
        feed.listen(listener);
        self[0].start();
    }

    private void stream(AsyncContext async, PrintWriter writer, BlockingQueue<Map<String, Object>> queue,
                        Consumer<Map<String, Object>> listener) {
        try {
            while (!writer.checkError()) {
                Map<String, Object> message = queue.poll(HEARTBEAT_SECONDS, TimeUnit.SECONDS);
                writer.write(message == null ? ": heartbeat\n\n"
                        : "data: " + Json.MAPPER.writeValueAsString(message) + "\n\n");
                writer.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            // the client went away
        } finally {
            feed.unlisten(listener);
            try {
                async.complete();
            } catch (RuntimeException e) {
                // already completed by the container
            }
        }
    }
}
