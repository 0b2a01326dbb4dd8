package org.pot4j.config.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigKeysTest {

    @interface Sample {
        int batch_size() default 8;

        String bootstrap__servers() default "";

        int workers() default 1;
    }

    @Test
    void keysFollowTheDeclarativeServicesMapping() {
        assertEquals("batch.size", ConfigKeys.keyOf("batch_size"));
        assertEquals("bootstrap_servers", ConfigKeys.keyOf("bootstrap__servers"));
        assertEquals("max_request.bytes", ConfigKeys.keyOf("max__request_bytes"));
        assertTrue(ConfigKeys.known(Sample.class).containsAll(List.of("batch.size", "bootstrap_servers", "workers")));
    }

    @Test
    void aKeyNoMethodReadsIsReportedWithTheNearestOne() {
        Map<String, Object> properties = Map.of("batch_size", 1, "workers", 2, "service.pid", "x",
                "felix.fileinstall.filename", "file:/conf/x.cfg", "client.security.protocol", "SSL");
        assertEquals(List.of("batch_size", "client.security.protocol"), ConfigKeys.unknown(Sample.class, properties));
        assertEquals(List.of("batch_size"), ConfigKeys.unknown(Sample.class, properties, "client."));
        List<String> report = ConfigKeys.report("org.pot4j.x", Sample.class, properties, "client.");
        assertEquals(1, report.size());
        assertTrue(report.get(0).contains("unknown key 'batch_size'") && report.get(0).contains("did you mean 'batch.size'"),
                report.get(0));
    }
}
