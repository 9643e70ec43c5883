package io.mcrelay.sim;

import java.util.List;

import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.seam.RandomSource;

/**
 * The workload's big tables: a {@code config load} of the live templates, unchanged (kept: their traffic goes on),
 * plus {@value #BULK_MIN} to {@value #BULK_MAX} bulk rules on {@value #BULK_LINK}, a link that never exists (their
 * rules wait, their outputs are opened), so that the supervisor sends whole tables of several {@code Sync} chunks to
 * workers taking them in by bounded steps while they forward. A tenth of the tables a real daemon meets: the simulator's
 * supervisor cuts {@code Sync}s into chunks a sixteenth of the real size ({@link Simulator#SYNC_CHUNK_BYTES}), so a
 * few hundred rules take the paths that thousands take in production (several chunks, larger-than-a-chunk changes
 * sent as a {@code Sync}, several preparing steps), at a tenth of the work: the bulk tables of 1,000 to 3,000 rules
 * this once had were half of the simulator's time. Bulk rule {@code i} is the same in every load (a later load keeps it), and
 * one load in three has none (every bulk rule removed at once). Single-threaded; every choice comes from the
 * workload's seeded {@link RandomSource}.
 */
final class BulkRules {
    static final String BULK_LINK = "bulk0";
    static final int BULK_MIN = 100;
    static final int BULK_MAX = 300;
    static final String FILE_NAME = "sim-bulk.json";

    private BulkRules() {
    }

    /** How many bulk rules the next load has: none one time in three, else {@value #BULK_MIN} to {@value #BULK_MAX}. */
    static int nextCount(final RandomSource random) {
        return random.nextInt(3) == 0 ? 0 : BULK_MIN + random.nextInt(BULK_MAX - BULK_MIN + 1);
    }

    /** A config load of {@code live} (each with its id) and {@code bulk} bulk rules. */
    static ControlRequest.ConfigLoad load(final long requestId, final List<Workload.Template> live, final int bulk) {
        final StringBuilder json = new StringBuilder(200 * (live.size() + bulk)).append("{\"rules\": [\n");
        boolean first = true;
        for (final Workload.Template template : live) {
            first = rule(json, first, template.document(template.id));
        }
        for (int i = 0; i < bulk; i++) {
            final String at = (i >> 8) + "." + (i & 0xFF);
            first = rule(json, first, new RuleDocument("bulk-" + i, null, BULK_LINK, "239.50." + at, 5000, null,
                List.of(new RuleDocument.OutputDocument("239.60." + at, 7000, Workload.OUTPUT_LINKS.get(i % 3), null)),
                null));
        }
        return new ControlRequest.ConfigLoad(requestId, FILE_NAME, json.append("\n]}\n").toString());
    }

    private static boolean rule(final StringBuilder json, final boolean first, final RuleDocument rule) {
        json.append(first ? "" : ",\n").append("{\"id\": \"").append(rule.id()).append("\", \"input_interface\": \"")
            .append(rule.inputInterface()).append("\", \"input_group\": \"").append(rule.inputGroup())
            .append("\", \"input_port\": ").append(rule.inputPort());
        if (rule.inputSource() != null) {
            json.append(", \"input_source\": \"").append(rule.inputSource()).append('"');
        }
        json.append(", \"outputs\": [");
        for (int i = 0; i < rule.outputs().size(); i++) {
            final RuleDocument.OutputDocument output = rule.outputs().get(i);
            json.append(i == 0 ? "" : ", ").append("{\"group\": \"").append(output.group()).append("\", \"port\": ")
                .append(output.port()).append(", \"interface\": \"").append(output.interfaceName()).append("\"}");
        }
        json.append("]}");
        return false;
    }

    /** True for a rule of a bulk load (not one of the workload's templates). */
    static boolean isBulk(final RuleDocument rule) {
        return BULK_LINK.equals(rule.inputInterface());
    }
}
