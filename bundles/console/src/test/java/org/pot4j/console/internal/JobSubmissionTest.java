package org.pot4j.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.api.InvalidInputException;

/**
 * The submit form's paths obey the console's allowed roots: a job naming a file outside them is refused by field
 * before it reaches the job service (there is none here: reaching it would fail the test another way).
 */
class JobSubmissionTest {
    @TempDir
    Path home;

    private JobSubmission submission() {
        return new JobSubmission(null, home, JobSubmission.roots(home, new String[] {"models", " data ", ""}));
    }

    private static String job(String model) {
        return "{\"model\": {\"model_name\": \"m\", \"model\": \"" + model + "\"}, \"engine\": {\"type\": \"simplified\","
                + " \"data_source\": \"data/images\"}, \"compression\": {\"algorithms\": [{\"name\": \"DefaultQuantization\"}]}}";
    }

    @Test
    void rootsAreResolvedAgainstTheHomeAndBlankOnesDropped() {
        assertEquals(List.of(home.resolve("models"), home.resolve("data")),
                JobSubmission.roots(home, new String[] {"models", " data ", ""}));
        assertEquals(List.of(home.resolve("models"), home.resolve("data"), Path.of("/srv/x")),
                JobSubmission.roots(home, new String[] {"models, data,/srv/x"}), "one comma-separated .cfg value");
    }

    @Test
    void pathsOutsideTheRootsAreRefusedByField() {
        for (String outside : List.of("/etc/passwd", "../secret.onnx", "models/../../secret.onnx", "state/x.onnx")) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> submission().request(job(outside)), outside);
            assertTrue(e.getMessage().contains("model.model") && e.getMessage().contains("allowed roots")
                    && e.getMessage().contains("allowed.roots"), e.getMessage());
        }
    }

    @Test
    void aSymlinkInsideARootThatLeadsOutIsRefused() throws Exception {
        Files.createDirectories(home.resolve("models"));
        Path outside = Files.createDirectories(home.resolve("elsewhere"));
        Files.createSymbolicLink(home.resolve("models/link"), outside);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> submission().request(job("models/link/m.onnx")));
        assertTrue(e.getMessage().contains("elsewhere"), e.getMessage());
    }
}
