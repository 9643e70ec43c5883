package io.mcrelay.traffic;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;

/**
 * The text form of a {@link History}, what {@code --record FILE} writes: one line per event, so a run can be read by
 * a person, by {@code grep}, and checked again later.
 *
 * <pre>
 * # mcrelay history 1
 * S FLOW SEQ SENT_NS                         a packet sent
 * R ARRIVED_FLOW FLOW SEQ RECEIVED_NS STATUS   a packet received: STATUS ok, corrupt or foreign (FLOW SEQ -1 -1)
 * W SENT_NS_START SENT_NS_END NAME           a fault window (its name may contain spaces)
 * </pre>
 *
 * A bad line is refused naming its number and what is wrong with it. Stateless.
 */
public final class HistoryFile {
    public static final String HEADER = "# mcrelay history 1";

    /** A line that is not of the form above. */
    public static final class FormatException extends Exception {
        private static final long serialVersionUID = 1L;

        FormatException(final String message) {
            super(message);
        }
    }

    private HistoryFile() {
    }

    /** Writes the header line. */
    public static void writeHeader(final Writer out) throws IOException {
        out.write(HEADER);
        out.write('\n');
    }

    public static void writeSent(final Writer out, final int flow, final long seq, final long sentNs)
        throws IOException {
        out.write("S " + flow + ' ' + seq + ' ' + sentNs + '\n');
    }

    public static void writeReceived(final Writer out, final int arrivedFlow, final int flow, final long seq,
                                     final long receivedNs, final int status) throws IOException {
        out.write("R " + arrivedFlow + ' ' + flow + ' ' + seq + ' ' + receivedNs + ' ' + statusWord(status) + '\n');
    }

    public static void writeWindow(final Writer out, final History.FaultWindow window) throws IOException {
        out.write("W " + window.startNs() + ' ' + window.endNs() + ' ' + window.name() + '\n');
    }

    /** Writes a whole history: header, windows, sends, then arrivals. */
    public static void write(final Writer out, final History history) throws IOException {
        writeHeader(out);
        for (final History.FaultWindow window : history.windows()) {
            writeWindow(out, window);
        }
        for (final History.Sent sent : history.sent()) {
            writeSent(out, sent.flow(), sent.seq(), sent.sentNs());
        }
        for (final History.Received received : history.received()) {
            writeReceived(out, received.arrivedFlow(), received.flow(), received.seq(), received.receivedNs(),
                received.status());
        }
    }

    /**
     * Reads lines into {@code into} (several files, the generator's and the sink's, may go into one history).
     *
     * @param name names the file in errors
     * @throws FormatException naming the file, the line and what is wrong; nothing after the bad line is read
     */
    public static void read(final BufferedReader in, final String name, final History into)
        throws IOException, FormatException {
        String line = in.readLine();
        if (!HEADER.equals(line)) {
            throw new FormatException(name + ": line 1: expected \"" + HEADER + "\", found "
                + (line == null ? "an empty file" : '"' + abbreviate(line) + '"'));
        }
        int number = 1;
        while ((line = in.readLine()) != null) {
            number++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            final String[] fields = line.split(" ", line.startsWith("W ") ? 4 : -1);
            try {
                switch (fields[0]) {
                    case "S" -> {
                        expect(fields, 4);
                        into.sent(flow(fields[1]), Long.parseLong(fields[2]), Long.parseLong(fields[3]));
                    }
                    case "R" -> {
                        expect(fields, 6);
                        into.received(flow(fields[1]), Integer.parseInt(fields[2]), Long.parseLong(fields[3]),
                            Long.parseLong(fields[4]), status(fields[5]));
                    }
                    case "W" -> {
                        expect(fields, 4);
                        into.window(fields[3], Long.parseLong(fields[1]), Long.parseLong(fields[2]));
                    }
                    default -> throw new IllegalArgumentException("unknown record type \"" + abbreviate(fields[0])
                        + "\" (S, R or W)");
                }
            } catch (final NumberFormatException e) {
                throw new FormatException(name + ": line " + number + ": a field is not a whole number ("
                    + e.getMessage() + "): \"" + abbreviate(line) + '"');
            } catch (final IllegalArgumentException e) {
                throw new FormatException(name + ": line " + number + ": " + e.getMessage() + ": \""
                    + abbreviate(line) + '"');
            }
        }
    }

    private static void expect(final String[] fields, final int count) {
        if (fields.length != count) {
            throw new IllegalArgumentException(count + " fields expected, found " + fields.length);
        }
    }

    private static int flow(final String text) {
        final int flow = Integer.parseInt(text);
        if (flow < 0 || flow > 0xFFFF) {
            throw new IllegalArgumentException("flow " + flow + " is outside 0..65535");
        }
        return flow;
    }

    private static String statusWord(final int status) {
        return switch (status) {
            case TrafficPayload.OK -> "ok";
            case TrafficPayload.CORRUPT -> "corrupt";
            case TrafficPayload.FOREIGN -> "foreign";
            default -> throw new IllegalArgumentException("no such status: " + status);
        };
    }

    private static int status(final String word) {
        return switch (word) {
            case "ok" -> TrafficPayload.OK;
            case "corrupt" -> TrafficPayload.CORRUPT;
            case "foreign" -> TrafficPayload.FOREIGN;
            default -> throw new IllegalArgumentException("status \"" + abbreviate(word)
                + "\" is not ok, corrupt or foreign");
        };
    }

    private static String abbreviate(final String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }
}
