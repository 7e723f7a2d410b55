package dev.flood.cli;

import java.io.IOException;
import java.util.List;

/** One subcommand of {@code flood}: its options and what it does with them. */
interface Command {

    /** The word after {@code flood}, e.g. {@code generate}. */
    String name();

    /** One line for {@code flood --help}. */
    String summary();

    /** The first line of the command's help, e.g. {@code flood score --model DIR [--text TEXT]... [options]}. */
    String synopsis();

    /** A paragraph of help on what the command writes. */
    String outputHelp();

    /** The help's table of exit codes. */
    default String exitStatus() {
        return Usage.EXIT_STATUS;
    }

    /** Every option the command takes, in the order help lists them. */
    List<Option> options();

    /**
     * Runs the command; returns the process exit code ({@link Main#OK} or {@link Main#FAILED}).
     *
     * @throws UsageException when the arguments are wrong in a way parsing alone cannot see ({@link Main#USAGE})
     */
    int run(ParsedArgs args, Streams streams) throws UsageException, IOException;
}
