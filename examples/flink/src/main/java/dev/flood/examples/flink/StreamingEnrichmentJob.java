package dev.flood.examples.flink;

import dev.flood.flink.FloodOptions;
import dev.flood.flink.datastream.FloodAsync;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;

/**
 * Streaming enrichment: a rate-limited stream of events, each enriched with a completion twice, by
 * {@code FLOOD_GENERATE} in SQL and by the DataStream builder, printed as they arrive ({@code sql>} and
 * {@code datastream>} lines). Both paths resolve the same options, so they share one engine per TaskManager and
 * their requests join one batch. Commands are in examples/flink/README.md.
 */
public final class StreamingEnrichmentJob {

    private StreamingEnrichmentJob() {
    }

    public static void main(String[] args) throws Exception {
        ExampleArgs parsed = ExampleArgs.parse(args);
        Configuration flood = new Configuration();
        flood.set(FloodOptions.MODEL_PATH, parsed.model().toString());
        flood.set(FloodOptions.MAX_NEW_TOKENS, parsed.maxNewTokens());
        flood.set(FloodOptions.TEMPERATURE, 0.7);
        flood.set(FloodOptions.TOP_P, 0.95);
        flood.set(FloodOptions.SEED, 7L);

        // the SQL functions read flood.* from the job's parameters; the DataStream builder gets them directly
        Configuration job = new Configuration();
        job.set(PipelineOptions.GLOBAL_JOB_PARAMETERS, flood.toMap());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(job);
        DataStream<Event> events = env.fromSource(
                PromptSource.of(parsed.prompts(), parsed.numEvents(), parsed.eventsPerSecond()),
                WatermarkStrategy.noWatermarks(), "prompts");

        if (!parsed.mode().equals("datastream")) {
            StreamTableEnvironment tableEnv = StreamTableEnvironment.create(env);
            tableEnv.createTemporaryView("events", tableEnv.fromDataStream(events));
            tableEnv.executeSql("CREATE TEMPORARY FUNCTION FLOOD_GENERATE AS 'dev.flood.flink.table.FloodGenerate'");
            Table enriched = tableEnv.sqlQuery("SELECT id, prompt, FLOOD_GENERATE(prompt) AS completion FROM events");
            tableEnv.toDataStream(enriched).print("sql");
        }
        if (!parsed.mode().equals("sql")) {
            FloodAsync.generate(events, Event::prompt, EnrichedEvent::of, TypeInformation.of(EnrichedEvent.class))
                    .options(flood)
                    .ordered().capacity(16).timeout(Duration.ofMinutes(2))
                    .apply().uid("flood-generate")
                    .print("datastream");
        }
        env.execute("flood streaming enrichment");
    }
}
