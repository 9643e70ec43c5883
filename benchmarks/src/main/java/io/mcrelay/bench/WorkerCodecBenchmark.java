package io.mcrelay.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;

/**
 * What a full {@code Sync} of 1,000 rules costs on the worker channel: encoding it (the supervisor, once per worker
 * that needs it) and decoding it (each worker). Encode and decode are measured apart so a regression names its side.
 *
 * <p>Run from the repository root as {@code java @jvm.options -jar benchmarks/target/benchmarks.jar WorkerCodec}
 * (see {@code benchmarks/README.md}). {@code @Fork} gives no JVM arguments on purpose: JMH then starts its fork with
 * the parent's, so the flags come from {@code jvm.options} and are never copied here.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class WorkerCodecBenchmark {
    private static final int RULE_COUNT = 1_000;
    private static final long EPOCH = 42;

    private WorkerMessage.Sync sync;
    private byte[] encoded;

    @Setup
    public void build() {
        sync = new WorkerMessage.Sync(EPOCH, BenchmarkRules.rules(RULE_COUNT));
        encoded = WorkerMessageCodec.toBytes(sync);
        // Timing a codec that does not round-trip would be timing a bug.
        if (!sync.equals(WorkerMessageCodec.decode(encoded))) {
            throw new IllegalStateException("the worker codec does not round-trip a Sync of " + RULE_COUNT + " rules");
        }
    }

    /** Encodes the {@code Sync} into a fresh array. */
    @Benchmark
    public byte[] encode() {
        return WorkerMessageCodec.toBytes(sync);
    }

    /** Decodes the {@code Sync} from its encoding. */
    @Benchmark
    public WorkerMessage decode() {
        return WorkerMessageCodec.decode(encoded);
    }
}
