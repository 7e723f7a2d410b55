package dev.flood.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.util.cuda.CudaUtils;
import dev.flood.testing.Fixtures;
import java.lang.reflect.Field;
import org.junit.jupiter.api.Test;

/**
 * Loading a tokenizer leaves DJL set as Flood needs it: its bundled CPU library chosen, its GPU-count warning off.
 * The second check also pins DJL's private flag: a DJL upgrade that drops it fails here, not silently.
 */
class DjlNativesTest {

    @Test
    void aLoadedTokenizerLeavesDjlOnItsCpuLibraryAndQuietAboutGpus() throws ReflectiveOperationException {
        Tokenizer.load(Fixtures.model("tiny-llama")).close();
        if (System.getenv(DjlNatives.FLAVOR_PROPERTY) == null) {
            assertEquals("cpu", System.getProperty(DjlNatives.FLAVOR_PROPERTY));
        }
        Field logging = CudaUtils.class.getDeclaredField(DjlNatives.CUDA_LOGGING_FIELD);
        logging.setAccessible(true);
        assertFalse(logging.getBoolean(null), "CudaUtils would warn 'Failed to detect GPU count' on GPU-less machines");
    }
}
