package dev.flood.spark.runtime;

import dev.flood.spark.FloodSettings;
import java.io.Serializable;
import java.util.Objects;

/** One function call as shipped to tasks: which function, with its settings resolved on the driver. */
public record CallSpec(FloodFunction function, FloodSettings settings) implements Serializable {

    public CallSpec {
        Objects.requireNonNull(function, "function");
        Objects.requireNonNull(settings, "settings");
    }
}
