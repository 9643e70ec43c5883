package io.mcrelay.linux.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker account: the dedicated one if present, else nobody; a missing one or root refused by name. */
class WorkerUserTest {
    @TempDir
    Path dir;

    private Path passwd(final String content) throws IOException {
        return Files.writeString(dir.resolve("passwd"), content);
    }

    @Test
    void theDedicatedAccountWinsOverNobody() throws IOException {
        final Path file = passwd("root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/nonexistent:/bin/false\n"
            + "mcrelay:x:998:997::/nonexistent:/usr/sbin/nologin\n");
        assertEquals(new WorkerUser("mcrelay", 998, 997), WorkerUser.resolve(null, file));
        assertEquals(new WorkerUser("nobody", 65534, 65534), WorkerUser.resolve("nobody", file));
    }

    @Test
    void theWorkersOwnAccountWinsOverTheDedicatedOne() throws IOException {
        final Path file = passwd("root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/nonexistent:/bin/false\n"
            + "mcrelay:x:998:997::/nonexistent:/usr/sbin/nologin\n"
            + "mcrelay-worker:x:996:995::/nonexistent:/usr/sbin/nologin\n");
        assertEquals(new WorkerUser("mcrelay-worker", 996, 995), WorkerUser.resolve(null, file));
    }

    @Test
    void withoutADedicatedAccountNobodyIsUsed() throws IOException {
        final Path file = passwd("root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/nonexistent:/bin/false\n");
        assertEquals(new WorkerUser("nobody", 65534, 65534), WorkerUser.resolve(null, file));
    }

    @Test
    void missingAndRootAccountsAreRefusedByName() throws IOException {
        final Path file = passwd("root:x:0:0:root:/root:/bin/bash\n");
        final IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
            () -> WorkerUser.resolve("relay", file));
        assertEquals("worker user 'relay' does not exist (not in " + file + "): create it (useradd --system relay)"
            + " or pass another --user", missing.getMessage());
        final IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
            () -> WorkerUser.resolve(null, file));
        assertTrue(none.getMessage().startsWith("neither a 'mcrelay-worker', a 'mcrelay' nor a 'nobody' account exists"),
            none.getMessage());
        final IllegalArgumentException root = assertThrows(IllegalArgumentException.class,
            () -> WorkerUser.resolve("root", file));
        assertTrue(root.getMessage().startsWith("worker user 'root' has uid 0: workers never run as root"),
            root.getMessage());
    }

    @Test
    void thisMachineHasAWorkerAccount() {
        final WorkerUser user = WorkerUser.resolve(null);
        assertTrue(user.uid() != 0, user::toString);
    }
}
