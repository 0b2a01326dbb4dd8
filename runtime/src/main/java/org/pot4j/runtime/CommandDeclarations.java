package org.pot4j.runtime;

import java.io.InputStream;
import java.net.URL;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.osgi.framework.Bundle;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The sub-commands the installed bundles declare in their Declarative Services descriptors.
 * Reading the declarations (rather than waiting for services) tells at once whether a name is
 * unknown, and lists every command with its description for the help text.
 */
final class CommandDeclarations {

    private CommandDeclarations() {
    }

    /** A declared sub-command and the bundle that declares it. */
    record Declaration(String description, Bundle bundle) {
    }

    /** name → declaration, over every bundle's Service-Component descriptors. */
    static Map<String, Declaration> declaredCommands(Bundle[] bundles) {
        Map<String, Declaration> commands = new LinkedHashMap<>();
        for (Bundle bundle : bundles) {
            String header = bundle.getHeaders().get("Service-Component");
            if (header == null) {
                continue;
            }
            for (String path : header.split(",")) {
                for (URL descriptor : entries(bundle, path.trim())) {
                    try (InputStream in = descriptor.openStream()) {
                        parse(in).forEach((name, description) -> commands.put(name, new Declaration(description, bundle)));
                    } catch (Exception e) {
                        // a broken descriptor is SCR's to report; it declares no command here
                    }
                }
            }
        }
        return commands;
    }

    private static Iterable<URL> entries(Bundle bundle, String path) {
        java.util.List<URL> urls = new java.util.ArrayList<>();
        if (path.isEmpty()) {
            return urls;
        }
        int slash = path.lastIndexOf('/');
        String dir = slash < 0 ? "/" : path.substring(0, slash);
        String pattern = path.substring(slash + 1);
        Enumeration<URL> found = bundle.findEntries(dir, pattern, false);
        if (found != null) {
            while (found.hasMoreElements()) {
                urls.add(found.nextElement());
            }
        }
        return urls;
    }

    /** The commands one descriptor declares: components providing the Command interface. */
    static Map<String, String> parse(InputStream descriptor) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document document = factory.newDocumentBuilder().parse(descriptor);
        Map<String, String> commands = new LinkedHashMap<>();
        NodeList components = document.getElementsByTagNameNS("*", "component");
        if (components.getLength() == 0) {
            components = document.getElementsByTagName("component");
        }
        for (int i = 0; i < components.getLength(); i++) {
            Element component = (Element) components.item(i);
            if (!provides(component, Launcher.COMMAND_INTERFACE)) {
                continue;
            }
            String name = property(component, Launcher.COMMAND_PROPERTY);
            if (name != null) {
                String description = property(component, Launcher.DESCRIPTION_PROPERTY);
                commands.put(name, description == null ? "" : description);
            }
        }
        return commands;
    }

    private static boolean provides(Element component, String interfaceName) {
        NodeList provides = component.getElementsByTagName("provide");
        for (int i = 0; i < provides.getLength(); i++) {
            if (interfaceName.equals(((Element) provides.item(i)).getAttribute("interface"))) {
                return true;
            }
        }
        return false;
    }

    private static String property(Element component, String name) {
        NodeList properties = component.getElementsByTagName("property");
        for (int i = 0; i < properties.getLength(); i++) {
            Element property = (Element) properties.item(i);
            if (name.equals(property.getAttribute("name"))) {
                String value = property.getAttribute("value");
                return value.isEmpty() ? property.getTextContent().trim() : value;
            }
        }
        return null;
    }
}
