package org.pot4j.api.registry;

/** A live plugin: its name, kind, and the bundle that provides it. */
public record PluginInfo(String name, PluginKind kind, String bundle, String version, long bundleId) {
}
