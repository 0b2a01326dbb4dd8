package org.pot4j.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pot4j.algorithm.defaultquantization.internal.DefaultQuantization;
import org.pot4j.api.params.Parameters;
import org.pot4j.config.support.ConfigFiles;
import org.pot4j.orchestrator.internal.config.JobConfig;
import org.pot4j.orchestrator.internal.config.JobConfigParser;

/** The shipped job templates stay valid: the parser and DefaultQuantization accept every key they show. */
class TemplatesTest {

    @ParameterizedTest
    @ValueSource(strings = {"default_quantization_template.json", "default_quantization_spec.json"})
    void templateParsesAndItsParametersAreDeclared(String name) {
        Path file = Path.of(System.getProperty("user.dir")).resolve("../../config").resolve(name).normalize();
        JobConfig config = JobConfigParser.parse(ConfigFiles.read(file), file.getParent());
        assertEquals("DefaultQuantization", config.algorithms().get(0).name());
        Parameters validated = config.algorithms().get(0).parameters().validate(new DefaultQuantization().parameters());
        assertEquals("performance", validated.string("preset"));
        assertEquals(300, validated.integer("stat_subset_size"));
    }
}
