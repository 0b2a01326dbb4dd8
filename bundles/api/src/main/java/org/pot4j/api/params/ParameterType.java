package org.pot4j.api.params;

/** JSON-level types of a parameter. PATH is a string resolved against the configuration's folder. */
public enum ParameterType { STRING, INTEGER, NUMBER, BOOLEAN, PATH, OBJECT, LIST, ANY }
