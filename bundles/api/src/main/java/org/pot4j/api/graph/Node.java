package org.pot4j.api.graph;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** One operator application. Inputs and outputs are value names; "" marks an omitted optional input. */
public final class Node {
    private String name;
    private String opType;
    private String domain;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Map<String, Attribute> attributes;
    private String docString;

    public Node(String name, String opType, List<String> inputs, List<String> outputs) {
        this(name, opType, "", inputs, outputs, Map.of());
    }

    public Node(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                Map<String, Attribute> attributes) {
        this.name = name == null ? "" : name;
        this.opType = Objects.requireNonNull(opType, "opType");
        this.domain = domain == null ? "" : domain;
        this.inputs = new ArrayList<>(inputs);
        this.outputs = new ArrayList<>(outputs);
        this.attributes = new LinkedHashMap<>(attributes);
    }

    public String name() { return name; }
    public void setName(String name) { this.name = name; }
    public String opType() { return opType; }
    public void setOpType(String opType) { this.opType = opType; }
    public String domain() { return domain; }
    public void setDomain(String domain) { this.domain = domain; }

    /** Mutable list of input value names. */
    public List<String> inputs() { return inputs; }

    /** Mutable list of output value names. */
    public List<String> outputs() { return outputs; }

    /** Mutable, ordered map of attributes. */
    public Map<String, Attribute> attributes() { return attributes; }

    public String docString() { return docString; }
    public void setDocString(String docString) { this.docString = docString; }

    public String input(int index) { return index < inputs.size() ? inputs.get(index) : ""; }
    public String output(int index) { return outputs.get(index); }

    public Attribute attribute(String attributeName) { return attributes.get(attributeName); }

    public long intAttribute(String attributeName, long defaultValue) {
        Attribute attribute = attributes.get(attributeName);
        return attribute == null ? defaultValue : attribute.asInt();
    }

    public Node copy() {
        Map<String, Attribute> copied = new LinkedHashMap<>();
        attributes.forEach((key, value) -> copied.put(key, value.copy()));
        Node node = new Node(name, opType, domain, inputs, outputs, copied);
        node.docString = docString;
        return node;
    }

    @Override
    public String toString() {
        return opType + "(" + name + ": " + inputs + " -> " + outputs + ")";
    }
}
