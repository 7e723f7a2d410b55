package dev.flood.cli;

/** The command line itself is wrong (unknown option, missing or malformed value): exit code 2. */
final class UsageException extends Exception {

    UsageException(String message) {
        super(message);
    }
}
