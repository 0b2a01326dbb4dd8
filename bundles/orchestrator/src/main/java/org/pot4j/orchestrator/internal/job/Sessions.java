package org.pot4j.orchestrator.internal.job;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.pot4j.api.backend.InferenceSession;

/** Sessions on one model for parallel inference requests, closed together (also when opening one fails). */
final class Sessions implements AutoCloseable {
    private final List<InferenceSession> sessions;

    private Sessions(List<InferenceSession> sessions) {
        this.sessions = sessions;
    }

    static Sessions open(int count, Supplier<InferenceSession> opener) {
        List<InferenceSession> opened = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                opened.add(opener.get());
            }
        } catch (RuntimeException | Error failed) {
            opened.forEach(InferenceSession::close);
            throw failed;
        }
        return new Sessions(List.copyOf(opened));
    }

    List<InferenceSession> all() {
        return sessions;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (InferenceSession session : sessions) {
            try {
                session.close();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
