package org.pot4j.optimizer.tpe.internal;

import java.util.Locale;
import java.util.Map;

/** One line per tuning trial: number, accuracy and its loss, latency ratio, loss, best so far, time left. */
final class TrialLine {
    private TrialLine() {
    }

    static String format(long done, long total, Map<String, Object> d) {
        StringBuilder line = new StringBuilder();
        line.append("trial ").append(d.get("trial")).append(" (").append(done).append('/').append(total).append("): ");
        line.append(d.get("metric")).append(' ').append(number(d.get("accuracy"), "%.4f"));
        line.append(" (loss ").append(percent(d.get("accuracy_loss"))).append(')');
        if (d.get("latency_ratio") instanceof Number ratio) {
            line.append(", latency x").append(String.format(Locale.ROOT, "%.3f", ratio.doubleValue())).append(" of FP32");
        }
        line.append(", score ").append(number(d.get("loss"), "%.2f"));
        if (Boolean.TRUE.equals(d.get("cached"))) {
            line.append(" (already measured)");
        }
        line.append(", best trial ").append(d.get("best_trial"));
        line.append(", ").append(d.get("choices"));
        if (d.get("seconds_left") instanceof Number left) {
            line.append(", ~").append(Math.round(left.doubleValue())).append(" s left");
        }
        return line.toString();
    }

    private static String number(Object value, String format) {
        return value instanceof Number n ? String.format(Locale.ROOT, format, n.doubleValue()) : "n/a";
    }

    private static String percent(Object value) {
        return value instanceof Number n ? String.format(Locale.ROOT, "%.2f %%", 100 * n.doubleValue()) : "n/a";
    }
}
