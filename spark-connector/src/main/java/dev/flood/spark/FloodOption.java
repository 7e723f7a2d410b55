package dev.flood.spark;

import java.util.Objects;

/**
 * One connector option: its short key (used in per-call option maps), its default (null where the engine picks
 * one at run time), what it governs, and a description. The Spark conf key is {@code spark.flood.<key>}.
 *
 * @param key          snake_case name, e.g. {@code max_tokens}
 * @param defaultValue the value when neither the call nor the conf gives one; null when the engine decides
 * @param scope        what the option governs, which also says where it may be set
 * @param description  one line for the README and error messages
 */
public record FloodOption(String key, String defaultValue, Scope scope, String description) {

    /** Prefix of every connector key in the Spark conf. */
    public static final String CONF_PREFIX = "spark.flood.";

    public FloodOption {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(description, "description");
    }

    /** What an option governs. */
    public enum Scope {
        /** Picks the engine (model, backend, cache...): calls that differ here use different engines. */
        ENGINE,
        /** Sampling of each generated row. */
        SAMPLING,
        /** How flood_perplexity scores a text longer than the window (sliding windows). */
        SCORING,
        /** The connector's behaviour for one call (error policy, in-flight window). */
        CONNECTOR,
        /** Read during analysis (the column's type, the key column), so only the call itself may set it. */
        CALL_ONLY
    }

    /** The key in the Spark conf: {@code spark.flood.<key>}. */
    public String confKey() {
        return CONF_PREFIX + key;
    }
}
