package io.mcrelay.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import io.mcrelay.cli.spi.ExitCodes;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mcrelay completion bash|zsh}: the shell completion script of every command, option and choice, from
 * picocli's generator over the whole command tree (other modules' commands included).
 */
@Command(name = "completion",
    mixinStandardHelpOptions = true,
    description = {
        "Print a completion script for bash or zsh: every command, subcommand, option and fixed choice of mcrelay.",
        "bash: source <(mcrelay completion bash), or save it as /etc/bash_completion.d/mcrelay.",
        "zsh: source <(mcrelay completion zsh) in ~/.zshrc (the script loads zsh's bash completion support), or save "
            + "it where your fpath's completions are sourced."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the script was printed", "2:usage error (a shell other than bash or zsh)"})
public final class CompletionCommand implements Callable<Integer> {
    /** The shells there is a script for. */
    enum Shell { bash, zsh }

    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "SHELL", description = "bash or zsh.")
    private Shell shell;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final String script = AutoComplete.bash("mcrelay", Main.commandLine());
        if (shell == Shell.zsh) {
            // picocli's script is bash's; zsh runs it through its bash completion layer.
            out.println("autoload -U +X compinit && compinit");
            out.println("autoload -U +X bashcompinit && bashcompinit");
        }
        out.print(script);
        out.flush();
        return ExitCodes.OK;
    }
}
