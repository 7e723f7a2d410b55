package dev.flood.cli;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodException;
import dev.flood.api.ResponseFormat;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.tokenizer.SyntheticVocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * {@code flood bench --json-schema FILE}: every request of the workload constrained to the schema (greedy, EOS
 * allowed where the JSON is complete, at most {@code --output-tokens}). A model folder without a tokenizer (the
 * dummy-weight shapes) gets a copy of its config beside a {@link SyntheticVocabulary} of the model's vocabulary
 * size in a temporary folder, since masks need token bytes; the benchmark says so on stderr.
 *
 * @param format the response format of every measured request
 * @param config the engine configuration, pointing at the temporary folder when one was made
 */
record BenchConstraint(ResponseFormat format, EngineConfig config) {

    static final String OPTION = "json-schema";

    /** The constraint asked for, or null when the benchmark runs unconstrained. */
    static BenchConstraint of(ParsedArgs args, EngineConfig config, Streams streams) throws UsageException {
        if (!args.has(OPTION)) {
            return null;
        }
        Path file = args.path(OPTION);
        String schema;
        try {
            schema = Files.readString(file);
        } catch (IOException e) {
            throw new UsageException("cannot read --" + OPTION + " " + file + ": " + e.getMessage());
        }
        if (Files.exists(config.modelPath().resolve("tokenizer.json"))) {
            return new BenchConstraint(ResponseFormat.jsonSchema(schema), config);
        }
        ModelConfig model = ModelConfigReader.read(config.modelPath());
        Set<Integer> specials = new HashSet<>(model.eosTokenIds());
        if (model.bosTokenId() >= 0) {
            specials.add(model.bosTokenId());
        }
        Path folder;
        try {
            folder = Files.createTempDirectory("flood-bench-model");
            for (String name : new String[] {"config.json", "generation_config.json"}) {
                Path source = config.modelPath().resolve(name);
                if (Files.exists(source)) {
                    Files.copy(source, folder.resolve(name));
                }
            }
        } catch (IOException e) {
            throw new FloodException("cannot prepare a model folder with a synthetic tokenizer: " + e.getMessage(), e);
        }
        SyntheticVocabulary.write(folder, model.vocabSize(), specials);
        streams.err().printf(Locale.ROOT, "bench: %s has no tokenizer.json; masks use a synthetic byte-level vocabulary"
                + " of %d tokens (specials %s) written to %s%n", config.modelPath(), model.vocabSize(), specials, folder);
        return new BenchConstraint(ResponseFormat.jsonSchema(schema),
                config.toBuilder().modelPath(folder).build());
    }
}
