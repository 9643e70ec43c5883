package io.mcrelay.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.StringReader;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;

/** A recorded run reads back as the same history; a bad line is refused naming the file, its number and the fault. */
class HistoryFileTest {
    private static History read(final String text) throws Exception {
        final History history = new History();
        HistoryFile.read(new BufferedReader(new StringReader(text)), "run.txt", history);
        return history;
    }

    @Test
    void aWrittenHistoryReadsBackTheSame() throws Exception {
        final History history = new History();
        history.window("worker 1 restarted (SIGKILL)", 5, 9);
        history.sent(0, 0, 1);
        history.sent(3, 1, 2);
        history.received(0, 0, 0, 3, TrafficPayload.OK);
        history.received(3, -1, -1, 4, TrafficPayload.CORRUPT);
        history.received(2, -1, -1, 4, TrafficPayload.FOREIGN);
        final StringWriter out = new StringWriter();
        HistoryFile.write(out, history);
        assertTrue(out.toString().startsWith(HistoryFile.HEADER + "\n"), out::toString);
        final History back = read(out.toString());
        assertEquals(history.sent(), back.sent());
        assertEquals(history.received(), back.received());
        assertEquals(history.windows(), back.windows());
    }

    @Test
    void badInputIsRefusedNamingTheLine() {
        assertEquals("run.txt: line 1: expected \"" + HistoryFile.HEADER + "\", found an empty file",
            assertThrows(HistoryFile.FormatException.class, () -> read("")).getMessage());
        assertEquals("run.txt: line 3: 4 fields expected, found 3: \"S 1 2\"",
            assertThrows(HistoryFile.FormatException.class,
                () -> read(HistoryFile.HEADER + "\nS 0 0 0\nS 1 2\n")).getMessage());
        assertEquals("run.txt: line 2: status \"lost\" is not ok, corrupt or foreign: \"R 0 0 0 0 lost\"",
            assertThrows(HistoryFile.FormatException.class,
                () -> read(HistoryFile.HEADER + "\nR 0 0 0 0 lost\n")).getMessage());
        assertEquals("run.txt: line 2: flow 70000 is outside 0..65535: \"S 70000 0 0\"",
            assertThrows(HistoryFile.FormatException.class,
                () -> read(HistoryFile.HEADER + "\nS 70000 0 0\n")).getMessage());
        assertTrue(assertThrows(HistoryFile.FormatException.class,
                () -> read(HistoryFile.HEADER + "\nS zero 0 0\n")).getMessage()
            .startsWith("run.txt: line 2: a field is not a whole number"));
        assertEquals("run.txt: line 2: unknown record type \"X\" (S, R or W): \"X 1\"",
            assertThrows(HistoryFile.FormatException.class,
                () -> read(HistoryFile.HEADER + "\nX 1\n")).getMessage());
    }
}
