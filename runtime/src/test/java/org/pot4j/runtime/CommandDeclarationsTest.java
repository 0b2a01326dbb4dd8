package org.pot4j.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommandDeclarationsTest {

    private static Map<String, String> parse(String xml) throws Exception {
        return CommandDeclarations.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void readsNameAndDescriptionOfCommandComponentsOnly() throws Exception {
        Map<String, String> commands = parse("""
                <?xml version="1.0" encoding="UTF-8"?>
                <scr:component xmlns:scr="http://www.osgi.org/xmlns/scr/v1.4.0" name="x.PluginsCommand">
                  <property name="pot4j.command" type="String" value="plugins"/>
                  <property name="pot4j.command.description" type="String" value="List the live plugins"/>
                  <service><provide interface="org.pot4j.api.command.Command"/></service>
                  <implementation class="x.PluginsCommand"/>
                </scr:component>
                """);
        assertEquals(Map.of("plugins", "List the live plugins"), commands);
    }

    @Test
    void ignoresComponentsThatDoNotProvideCommand() throws Exception {
        assertEquals(Map.of(), parse("""
                <scr:component xmlns:scr="http://www.osgi.org/xmlns/scr/v1.3.0" name="x.Other">
                  <property name="pot4j.command" type="String" value="plugins"/>
                  <service><provide interface="org.pot4j.api.metric.Metric"/></service>
                  <implementation class="x.Other"/>
                </scr:component>
                """));
    }

    @Test
    void missingDescriptionIsEmpty() throws Exception {
        assertEquals(Map.of("serve", ""), parse("""
                <scr:component xmlns:scr="http://www.osgi.org/xmlns/scr/v1.4.0" name="x.Serve">
                  <property name="pot4j.command" value="serve"/>
                  <service><provide interface="org.pot4j.api.command.Command"/></service>
                  <implementation class="x.Serve"/>
                </scr:component>
                """));
    }

    /** Stands in for the API's Command interface: the launcher matches it by name only. */
    interface Command {
        int execute(List<String> args, PrintStream out, PrintStream err);
    }

    @Test
    void findsExecuteThroughTheInterfaceNamedCommand() {
        assertThrows(NoSuchMethodException.class, () -> Launcher.findExecute(String.class));
        // a class implementing an interface merely *named* like Command elsewhere is not accepted
        class NotTheApi implements Command {
            @Override
            public int execute(List<String> args, PrintStream out, PrintStream err) {
                return 0;
            }
        }
        assertThrows(NoSuchMethodException.class, () -> Launcher.findExecute(NotTheApi.class));
    }
}
