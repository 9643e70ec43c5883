package io.mcrelay.control;

import java.io.IOException;
import java.util.Collection;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;

import io.mcrelay.protocol.CodecException;

/**
 * JSON codec of control frames ({@link ControlRequest}, {@link ControlResponse}): snake_case field names, the
 * kind in {@code "type"}, unknown fields refused. Errors name the field and what was expected, never a Java class.
 * Thread-safe.
 */
public final class ControlCodec {
    private static final ObjectMapper MAPPER = newMapper();

    private ControlCodec() {
    }

    /** The mapper with the project's JSON conventions, for other JSON documents (CLI {@code --json} output). */
    public static ObjectMapper newMapper() {
        return JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();
    }

    public static byte[] encode(final ControlRequest request) {
        return write(request);
    }

    public static byte[] encode(final ControlResponse response) {
        if (response instanceof ControlResponse.Rules rules) {
            return RulesJson.encode(MAPPER.getFactory(), rules); // the same bytes, streamed: see RulesJson
        }
        return write(response);
    }

    /**
     * Decodes a request frame.
     *
     * @throws CodecException with a message that names the problem and, where there is one, the field
     */
    public static ControlRequest decodeRequest(final byte[] payload) {
        return read(payload, ControlRequest.class, "request");
    }

    /** Decodes a response frame. */
    public static ControlResponse decodeResponse(final byte[] payload) {
        if (RulesJson.looksLikeRules(payload)) {
            final ControlResponse.Rules rules = RulesJson.decode(MAPPER.getFactory(), payload);
            if (rules != null) {
                return rules;
            }
        }
        return decodeResponseByMapper(payload);
    }

    /** {@link #decodeResponse} by data binding alone (what {@link RulesJson} must agree with). */
    static ControlResponse decodeResponseByMapper(final byte[] payload) {
        return read(payload, ControlResponse.class, "response");
    }

    /** {@link #encode(ControlResponse)} by data binding alone. */
    static byte[] encodeByMapper(final ControlResponse response) {
        return write(response);
    }

    private static byte[] write(final Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + value.getClass().getSimpleName(), e);
        }
    }

    private static <T> T read(final byte[] payload, final Class<T> type, final String what) {
        try {
            final T value = MAPPER.readValue(payload, type);
            if (value == null) {
                throw new CodecException("bad " + what + ": null");
            }
            return value;
        } catch (final InvalidTypeIdException e) {
            throw new CodecException(e.getTypeId() == null
                ? "bad " + what + ": \"type\" is missing"
                : "bad " + what + ": unknown type \"" + e.getTypeId() + "\"", e);
        } catch (final UnrecognizedPropertyException e) {
            throw new CodecException("bad " + what + ": unknown field \"" + fieldPath(e) + "\"", e);
        } catch (final MismatchedInputException e) {
            final String expected = e.getTargetType() == null ? firstLine(e.getOriginalMessage())
                : "expected " + describe(e.getTargetType());
            throw new CodecException("bad " + what + at(e) + ": " + expected, e);
        } catch (final JsonMappingException e) {
            throw new CodecException("bad " + what + at(e) + ": " + firstLine(e.getOriginalMessage()), e);
        } catch (final JsonProcessingException e) {
            throw new CodecException("bad " + what + ": not JSON (" + firstLine(e.getOriginalMessage()) + ")", e);
        } catch (final IOException e) {
            throw new CodecException("bad " + what + ": " + e.getMessage(), e);
        }
    }

    private static String describe(final Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == String.class) {
            return "text";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        return "an object";
    }

    private static String at(final JsonMappingException e) {
        return e.getPath().isEmpty() ? "" : " at " + fieldPath(e);
    }

    private static String fieldPath(final JsonMappingException e) {
        final StringBuilder sb = new StringBuilder();
        for (final JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String firstLine(final String message) {
        if (message == null) {
            return "malformed";
        }
        final int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
