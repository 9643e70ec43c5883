package io.mcrelay.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A text table for human output: a header row and rows, columns padded to their widest cell. */
final class Table {
    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    Table(final String... header) {
        columns = header.length;
        rows.add(header);
    }

    /** Adds a row; {@code null} cells print as {@code -}. */
    Table row(final Object... cells) {
        if (cells.length != columns) {
            throw new IllegalArgumentException("a row of " + cells.length + " cells in a table of " + columns);
        }
        final String[] text = new String[columns];
        for (int i = 0; i < columns; i++) {
            text[i] = cells[i] == null ? "-" : cells[i].toString();
        }
        rows.add(text);
        return this;
    }

    /** Prints the table, two spaces between columns, no trailing blanks. */
    void print(final PrintWriter out) {
        final int[] widths = new int[columns];
        for (final String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (final String[] row : rows) {
            final StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(row[i]);
                if (i < columns - 1) {
                    line.append(" ".repeat(widths[i] - row[i].length() + 2));
                }
            }
            out.println(line.toString().stripTrailing());
        }
    }
}
