package org.pot4j.console.internal;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardResource;

/** The page, its script and style: the bundle folder {@code /static}, served under {@code /console/}. */
@Component(service = ConsoleResources.class)
@HttpWhiteboardResource(pattern = "/console/*", prefix = "/static")
public final class ConsoleResources {
}
