package dev.flood.tokenizer;

import ai.djl.util.cuda.CudaUtils;
import java.lang.reflect.Field;

/**
 * What Flood asks of DJL before DJL loads its native tokenizer library, set once, here, rather than read from
 * system properties elsewhere: every entry point (the command line, Spark executors, Flink TaskManagers) loads
 * tokenizers through {@link Tokenizer#load}.
 *
 * <p>Loading the library, DJL picks a build by asking the CUDA runtime for a GPU count ({@code CudaUtils}). Flood
 * tokenizes on the CPU and finds its GPUs itself, so neither answer matters:
 * <ul>
 *   <li>{@code RUST_FLAVOR=cpu}: use the CPU library bundled in DJL's jar. On a GPU machine DJL would otherwise look
 *       for a CUDA build of it and try to download one (failing offline). Put only where unset, so a property set
 *       by the user stays; DJL reads an environment variable of the same name before the property.</li>
 *   <li>No GPU-count warning: on a machine with the CUDA runtime but no GPU driver (a CPU Spark or Flink worker built
 *       from a CUDA image, a build machine with nvcc) the count fails and DJL warns "Failed to detect GPU count" on
 *       every tokenizer load. DJL's CudaUtils has its own switch for quiet detection, a static {@code logging} flag
 *       that its forked detection process clears; it is cleared here by reflection. The alternative DJL offers,
 *       {@code ai.djl.util.cuda.fork=true}, starts a second JVM (0.6 s) on {@code java.class.path}, which does not
 *       hold DJL where a cluster adds jars at run time (Spark's {@code --jars}), and DJL then warns about its
 *       output instead.</li>
 * </ul>
 */
final class DjlNatives {

    /** DJL's choice between its bundled CPU library and a CUDA build. */
    static final String FLAVOR_PROPERTY = "RUST_FLAVOR";
    /** The static flag of {@link CudaUtils} that lets GPU detection log. */
    static final String CUDA_LOGGING_FIELD = "logging";

    /** Guarded by the class's lock. */
    private static boolean prepared;

    private DjlNatives() {
    }

    /** Sets what DJL needs, once per JVM (class loader); tokenizer loads call it, so it is cheap to repeat. */
    static synchronized void prepare() {
        if (!prepared) {
            apply();
            prepared = true;
        }
    }

    private static void apply() {
        System.getProperties().putIfAbsent(FLAVOR_PROPERTY, "cpu");
        try {
            Field logging = CudaUtils.class.getDeclaredField(CUDA_LOGGING_FIELD);
            logging.setAccessible(true);
            logging.setBoolean(null, false);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // a DJL without the flag, or a module setup that hides it, keeps its warning; tokenizing is unaffected
            // (DjlNativesTest fails on a DJL upgrade that drops the flag, so that this is looked at again)
        }
    }
}
