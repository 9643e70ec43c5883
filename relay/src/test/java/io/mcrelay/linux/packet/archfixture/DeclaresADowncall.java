package io.mcrelay.linux.packet.archfixture;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Breaks the rule that only linux.sys declares downcalls, on purpose: see ArchRulesTest. */
public final class DeclaresADowncall {
    private DeclaresADowncall() {
    }

    public static MethodHandle getpid() {
        final Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find("getpid").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT));
    }
}
