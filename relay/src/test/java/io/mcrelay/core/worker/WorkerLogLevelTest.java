package io.mcrelay.core.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.runtime.WheelTimers;
import io.mcrelay.seam.LogLevels;

/** A {@code LogLevel} command from the supervisor sets the level through the worker's log levels, and nothing else. */
class WorkerLogLevelTest {
    @Test
    void aLogLevelCommandSetsTheLevelInTheWorker() {
        final List<String> set = new ArrayList<>();
        final LogLevels levels = new LogLevels() {
            @Override
            public SortedMap<String, String> levels() {
                return new TreeMap<>();
            }

            @Override
            public String set(final String facility, final String level) {
                set.add(facility + "=" + level);
                return null;
            }
        };
        final WorkerFakes.QueueChannel channel = new WorkerFakes.QueueChannel();
        final WorkerAgent worker = new WorkerAgent(WorkerAgent.Config.defaults(0).withLogLevels(levels), channel,
            new WorkerFakes.DestinationsIo(), new WheelTimers(0));
        worker.start(0);
        channel.deliver(new WorkerMessage.LogLevel("io.mcrelay.linux", "DEBUG"));
        channel.deliver(new WorkerMessage.LogLevel(LogLevels.ROOT, "WARN"));
        for (int cycle = 0; cycle < 3; cycle++) {
            worker.doWork(cycle * 1_000_000L);
        }
        assertEquals(List.of("io.mcrelay.linux=DEBUG", "root=WARN"), set);
        assertFalse(worker.isDone(), "a log level is not a reason to stop");
    }
}
