package io.mcrelay.config;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;

import io.mcrelay.rules.Limits;
import io.mcrelay.rules.OutputSpec;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleSpec;
import io.mcrelay.rules.RuleValidator;
import io.mcrelay.rules.ValidationError;

/**
 * Reads a config file: JSON with {@code //} and {@code /* *}{@code /} comments, holding {@code rules} (as in
 * {@code list --json}) and optional {@code limits} ({@code max_rules}, {@code max_outputs_per_rule}). Every error
 * names the file, the line and the field; a file with any error yields no config at all. Stateless and thread-safe.
 *
 * <pre>
 * {
 *   // Camera feeds into the studio
 *   "limits": {"max_rules": 1000},
 *   "rules": [
 *     {"id": "cam-1", "input_interface": "eth0", "input_group": "239.1.1.1", "input_port": 5000,
 *      "outputs": [{"group": "239.10.0.1", "port": 5000, "interface": "eth1", "ttl": 8}]}
 *   ]
 * }
 * </pre>
 */
public final class ConfigParser {
    /** Largest config file accepted, in characters. */
    public static final int CHARS_MAX = 16 * 1024 * 1024;

    private static final JsonFactory FACTORY = JsonFactory.builder()
        .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
        .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();
    private static final Set<String> TOP_FIELDS = Set.of("rules", "limits");
    private static final Set<String> LIMIT_FIELDS = Set.of("max_rules", "max_outputs_per_rule");
    private static final Set<String> RULE_FIELDS = Set.of("id", "name", "input_interface", "input_group",
        "input_port", "input_source", "outputs", "state");
    private static final Set<String> OUTPUT_FIELDS = Set.of("group", "port", "interface", "ttl");

    private ConfigParser() {
    }

    /** One problem, located in the file. */
    public record Error(String file, int line, int column, String field, String message) {
        /** {@code file:line:column: field: message}. */
        @Override
        public String toString() {
            return file + ":" + line + ":" + column + ": " + (field.isEmpty() ? "" : field + ": ") + message;
        }

        /** The message with its position, without the field. */
        public String positionedMessage() {
            return file + ":" + line + ":" + column + ": " + message;
        }
    }

    /** A config, or the errors that stopped it. */
    public record Result(ConfigFile config, List<Error> errors) {
        public Result {
            errors = List.copyOf(errors);
        }

        public boolean isValid() {
            return errors.isEmpty();
        }

        /** One error per line. */
        public String describe() {
            final StringBuilder sb = new StringBuilder();
            for (final Error error : errors) {
                if (!sb.isEmpty()) {
                    sb.append('\n');
                }
                sb.append(error);
            }
            return sb.toString();
        }
    }

    /** A JSON value with where it starts in the file. */
    private record Node(Object value, int line, int column) {
        @SuppressWarnings("unchecked")
        Map<String, Node> fields() {
            return (Map<String, Node>) value;
        }

        @SuppressWarnings("unchecked")
        List<Node> items() {
            return (List<Node>) value;
        }

        boolean isObject() {
            return value instanceof Map;
        }

        boolean isArray() {
            return value instanceof List;
        }
    }

    /**
     * Parses and validates {@code text}; {@code fileName} is used in messages only.
     *
     * @param defaultLimits the limits that apply when the file sets none
     */
    public static Result parse(final String fileName, final String text, final Limits defaultLimits) {
        final String file = fileName == null || fileName.isEmpty() ? "<config>" : fileName;
        final List<Error> errors = new ArrayList<>();
        if (text == null) {
            return new Result(null, List.of(new Error(file, 1, 1, "", "the file is empty")));
        }
        if (text.length() > CHARS_MAX) {
            return new Result(null, List.of(new Error(file, 1, 1, "", "the file has " + text.length()
                + " characters, more than the " + CHARS_MAX + " accepted")));
        }
        final Node root;
        try (JsonParser parser = FACTORY.createParser(text)) {
            if (parser.nextToken() == null) {
                return new Result(null, List.of(new Error(file, 1, 1, "", "the file is empty")));
            }
            root = read(parser);
            if (parser.nextToken() != null) {
                final JsonLocation at = parser.currentTokenLocation();
                return new Result(null, List.of(new Error(file, at.getLineNr(), at.getColumnNr(), "",
                    "unexpected content after the end of the document")));
            }
        } catch (final JsonParseException e) {
            final JsonLocation at = e.getLocation();
            final String message = e.getOriginalMessage().split("\n", 2)[0];
            return new Result(null, List.of(new Error(file, at == null ? 1 : at.getLineNr(),
                at == null ? 1 : at.getColumnNr(), "", "not valid JSON: " + message)));
        } catch (final IOException e) {
            return new Result(null, List.of(new Error(file, 1, 1, "", "cannot read: " + e.getMessage())));
        }

        if (!root.isObject()) {
            return new Result(null, List.of(new Error(file, root.line(), root.column(), "",
                "the file must hold one JSON object with \"rules\"")));
        }
        unknownFields(file, "", root, TOP_FIELDS, errors);
        final Limits limits = limits(file, root.fields().get("limits"), errors);
        final Limits effective = limits == null ? defaultLimits : limits;
        final Node rulesNode = root.fields().get("rules");
        final List<ConfigFile.Entry> entries = new ArrayList<>();
        final List<Node> ruleNodes = new ArrayList<>();
        if (rulesNode == null) {
            errors.add(new Error(file, root.line(), root.column(), "rules", "\"rules\" is missing (use [] for none)"));
        } else if (!rulesNode.isArray()) {
            errors.add(new Error(file, rulesNode.line(), rulesNode.column(), "rules", "expected a list of rules"));
        } else {
            for (int i = 0; i < rulesNode.items().size(); i++) {
                final Node ruleNode = rulesNode.items().get(i);
                final ConfigFile.Entry entry = rule(file, i, ruleNode, effective, errors);
                if (entry != null) {
                    entries.add(entry);
                    ruleNodes.add(ruleNode);
                }
            }
        }
        if (errors.isEmpty()) {
            final List<Rule> rules = entries.stream().map(ConfigFile.Entry::rule).toList();
            for (final ValidationError clash : RuleValidator.checkTable(rules, effective)) {
                errors.add(locate(file, clash, rulesNode, ruleNodes, rules));
            }
        }
        return errors.isEmpty() ? new Result(new ConfigFile(entries, limits), errors) : new Result(null, errors);
    }

    private static Error locate(final String file, final ValidationError clash, final Node rulesNode,
                                final List<Node> ruleNodes, final List<Rule> rules) {
        // Fields from RuleValidator.checkTable look like "rules[3].id": point at that rule.
        final String field = clash.field();
        Node at = rulesNode;
        if (field.startsWith("rules[")) {
            final int index = Integer.parseInt(field.substring(6, field.indexOf(']')));
            if (index < ruleNodes.size()) {
                at = ruleNodes.get(index);
            }
        }
        return new Error(file, at.line(), at.column(), field, clash.message());
    }

    private static Limits limits(final String file, final Node node, final List<Error> errors) {
        if (node == null) {
            return null;
        }
        if (!node.isObject()) {
            errors.add(new Error(file, node.line(), node.column(), "limits", "expected an object"));
            return null;
        }
        unknownFields(file, "limits.", node, LIMIT_FIELDS, errors);
        final int before = errors.size();
        final Integer rulesMax = integer(file, "limits.max_rules", node.fields().get("max_rules"), errors);
        final Integer outputsMax = integer(file, "limits.max_outputs_per_rule",
            node.fields().get("max_outputs_per_rule"), errors);
        if (errors.size() > before) {
            return null;
        }
        try {
            return new Limits(rulesMax == null ? Limits.RULES_MAX_DEFAULT : rulesMax,
                outputsMax == null ? Limits.OUTPUTS_PER_RULE_MAX_DEFAULT : outputsMax);
        } catch (final IllegalArgumentException e) {
            errors.add(new Error(file, node.line(), node.column(), "limits", e.getMessage()));
            return null;
        }
    }

    private static ConfigFile.Entry rule(final String file, final int index, final Node node, final Limits limits,
                                         final List<Error> errors) {
        final String prefix = "rules[" + index + "]";
        if (!node.isObject()) {
            errors.add(new Error(file, node.line(), node.column(), prefix, "expected a rule object"));
            return null;
        }
        // Unknown fields are reported but do not stop the rule from being checked: only values of the wrong type do.
        unknownFields(file, prefix + ".", node, RULE_FIELDS, errors);
        final int before = errors.size();
        final Map<String, Node> fields = node.fields();
        final String id = text(file, prefix + ".id", fields.get("id"), errors);
        final String name = text(file, prefix + ".name", fields.get("name"), errors);
        final String inputInterface = text(file, prefix + ".input_interface", fields.get("input_interface"), errors);
        final String inputGroup = text(file, prefix + ".input_group", fields.get("input_group"), errors);
        final Integer inputPort = integer(file, prefix + ".input_port", fields.get("input_port"), errors);
        final String inputSource = text(file, prefix + ".input_source", fields.get("input_source"), errors);
        final List<OutputSpec> outputs = new ArrayList<>();
        int typeErrorsOffset = 0; // unknown fields inside outputs, which do not count as type errors
        final Node outputsNode = fields.get("outputs");
        if (outputsNode != null && outputsNode.value() != null) {
            if (!outputsNode.isArray()) {
                errors.add(new Error(file, outputsNode.line(), outputsNode.column(), prefix + ".outputs",
                    "expected a list of outputs"));
            } else {
                for (int i = 0; i < outputsNode.items().size(); i++) {
                    final Node output = outputsNode.items().get(i);
                    final String outputPrefix = prefix + ".outputs[" + i + "]";
                    if (!output.isObject()) {
                        errors.add(new Error(file, output.line(), output.column(), outputPrefix,
                            "expected an output object"));
                        continue;
                    }
                    final int unknownBefore = errors.size();
                    unknownFields(file, outputPrefix + ".", output, OUTPUT_FIELDS, errors);
                    typeErrorsOffset += errors.size() - unknownBefore;
                    final Map<String, Node> o = output.fields();
                    outputs.add(new OutputSpec(text(file, outputPrefix + ".group", o.get("group"), errors),
                        string(integer(file, outputPrefix + ".port", o.get("port"), errors)),
                        text(file, outputPrefix + ".interface", o.get("interface"), errors),
                        string(integer(file, outputPrefix + ".ttl", o.get("ttl"), errors))));
                }
            }
        }
        if (errors.size() - typeErrorsOffset > before) {
            return null;
        }
        final RuleSpec spec = new RuleSpec(id, name, inputInterface, inputGroup, string(inputPort), inputSource,
            outputs);
        // A placeholder id lets the file's rules be checked against each other; loading assigns the real one.
        final RuleValidator.Result result = RuleValidator.validate(spec, new RuleId("config-rule-" + index), limits);
        for (final ValidationError error : result.errors()) {
            final Node at = nodeOf(node, error.field());
            errors.add(new Error(file, at.line(), at.column(), prefix + "." + error.field(), error.message()));
        }
        return result.isValid() ? new ConfigFile.Entry(result.rule(), id != null) : null;
    }

    /** The node a validator field ("outputs[1].port", "input_group") names inside a rule, or the rule itself. */
    private static Node nodeOf(final Node rule, final String field) {
        final Map<String, Node> fields = rule.fields();
        if (field.startsWith("outputs[")) {
            final Node outputs = fields.get("outputs");
            final int close = field.indexOf(']');
            if (outputs != null && outputs.isArray() && close > 0) {
                final int index = Integer.parseInt(field.substring(8, close));
                if (index < outputs.items().size()) {
                    final Node output = outputs.items().get(index);
                    if (close + 2 < field.length() && output.isObject()) {
                        final Node leaf = output.fields().get(field.substring(close + 2));
                        return leaf != null ? leaf : output;
                    }
                    return output;
                }
            }
            return outputs != null ? outputs : rule;
        }
        final Node leaf = fields.get(field);
        return leaf != null ? leaf : rule;
    }

    private static void unknownFields(final String file, final String prefix, final Node node,
                                      final Set<String> known, final List<Error> errors) {
        for (final Map.Entry<String, Node> field : node.fields().entrySet()) {
            if (!known.contains(field.getKey())) {
                errors.add(new Error(file, field.getValue().line(), field.getValue().column(),
                    prefix + field.getKey(), "unknown field (expected one of " + known.stream().sorted().toList()
                    + ")"));
            }
        }
    }

    private static String text(final String file, final String field, final Node node, final List<Error> errors) {
        if (node == null || node.value() == null) {
            return null;
        }
        if (node.value() instanceof String s) {
            return s;
        }
        errors.add(new Error(file, node.line(), node.column(), field, "expected text in quotes"));
        return null;
    }

    private static Integer integer(final String file, final String field, final Node node, final List<Error> errors) {
        if (node == null || node.value() == null) {
            return null;
        }
        if (node.value() instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
            return l.intValue();
        }
        errors.add(new Error(file, node.line(), node.column(), field, "expected a whole number, found "
            + describe(node.value())));
        return null;
    }

    private static String describe(final Object value) {
        return switch (value) {
            case String s -> "text \"" + s + "\"";
            case Long l -> "the number " + l + ", which is too large";
            case Double d -> "the number " + d;
            case Boolean b -> b.toString();
            case List<?> l -> "a list";
            case Map<?, ?> m -> "an object";
            default -> "something else";
        };
    }

    private static String string(final Integer value) {
        return value == null ? null : value.toString();
    }

    /** Reads the value at the current token, with its location; nesting is bounded by Jackson's own limits. */
    private static Node read(final JsonParser parser) throws IOException {
        final JsonLocation at = parser.currentTokenLocation();
        final int line = at.getLineNr();
        final int column = at.getColumnNr();
        final JsonToken token = parser.currentToken();
        return switch (token) {
            case START_OBJECT -> {
                final Map<String, Node> fields = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    final String name = parser.currentName();
                    parser.nextToken();
                    fields.put(name, read(parser));
                }
                yield new Node(fields, line, column);
            }
            case START_ARRAY -> {
                final List<Node> items = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    items.add(read(parser));
                }
                yield new Node(items, line, column);
            }
            case VALUE_STRING -> new Node(parser.getText(), line, column);
            case VALUE_NUMBER_INT -> {
                final JsonParser.NumberType type = parser.getNumberType();
                yield new Node(type == JsonParser.NumberType.BIG_INTEGER ? (Object) parser.getDoubleValue()
                    : (Object) parser.getLongValue(), line, column);
            }
            case VALUE_NUMBER_FLOAT -> new Node(parser.getDoubleValue(), line, column);
            case VALUE_TRUE -> new Node(Boolean.TRUE, line, column);
            case VALUE_FALSE -> new Node(Boolean.FALSE, line, column);
            case VALUE_NULL -> new Node(null, line, column);
            default -> throw new JsonParseException(parser, "unexpected " + token);
        };
    }
}
