package dev.flood.flink.datastream;

import dev.flood.api.GenerationResult;
import java.io.Serializable;
import org.apache.flink.annotation.PublicEvolving;

/**
 * The output record of one event and its generation. Called on the task thread, exactly once per input record
 * (whatever the retries), also for failed requests when {@code flood.on-error} is RESULT: then
 * {@link GenerationResult#isError()} is true and {@link GenerationResult#error()} says why.
 */
@PublicEvolving
@FunctionalInterface
public interface ResultMapper<IN, OUT> extends Serializable {

    OUT map(IN event, GenerationResult result) throws Exception;
}
