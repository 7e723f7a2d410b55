package dev.flood.structured;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.List;

/**
 * A JSON schema in the hands of an independent validator (networknt json-schema-validator, draft 2020-12, with
 * format assertions on): what the tests hold every constrained output to.
 */
public final class SchemaCheck {

    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private final Schema schema;

    public SchemaCheck(String schemaJson) {
        this.schema = REGISTRY.getSchema(schemaJson, InputFormat.JSON);
    }

    /** The validator's complaints about {@code json} (empty when it is valid). */
    public List<String> errors(String json) {
        List<Error> errors = schema.validate(json, InputFormat.JSON,
                (execution, context) -> execution.executionConfig(config -> config.formatAssertionsEnabled(true)));
        return errors.stream().map(Error::toString).toList();
    }
}
