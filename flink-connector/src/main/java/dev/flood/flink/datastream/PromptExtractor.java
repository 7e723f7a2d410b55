package dev.flood.flink.datastream;

import java.io.Serializable;
import org.apache.flink.annotation.PublicEvolving;

/** The prompt of one event. May return null: the record then gets an error result ("prompt is null"). */
@PublicEvolving
@FunctionalInterface
public interface PromptExtractor<IN> extends Serializable {

    String prompt(IN event);
}
