package io.mcrelay.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

import org.junit.jupiter.api.Test;

import io.mcrelay.linux.process.ProcessWorkerLauncher;

/** The launcher names the worker's entry point by string (linux does not depend on runtime): it must exist. */
class WorkerMainTest {
    @Test
    void theLaunchersDefaultMainIsThisEntryPoint() throws ReflectiveOperationException {
        final Class<?> main = Class.forName(ProcessWorkerLauncher.DEFAULT_WORKER_MAIN);
        assertEquals(WorkerMain.class, main);
        final Method method = main.getMethod("main", String[].class);
        assertEquals(Modifier.PUBLIC | Modifier.STATIC, method.getModifiers() & (Modifier.PUBLIC | Modifier.STATIC));
    }
}
