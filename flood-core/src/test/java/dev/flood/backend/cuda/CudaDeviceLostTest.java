package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A sticky CUDA fault (an illegal address from a test-only embedding table at device address 0) loses the device
 * for the process: the engine fails every request with that reason, restarts nothing and refuses later requests
 * the same way. Run as {@link DeviceLostProbe} in a child JVM on this JVM's class path, so the lost context does
 * not fail the other GPU tests; the 5-minute wait only guards against a hang.
 */
@Tag("gpu")
class CudaDeviceLostTest {

    @Test
    void aStickyFaultFailsEveryRequestWithTheLostDeviceAndRestartsNothing() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(List.of(java, "-Xmx8g", "-cp", System.getProperty("java.class.path"),
                DeviceLostProbe.class.getName())).redirectErrorStream(true).start();
        byte[] output = child.getInputStream().readAllBytes();
        assertTrue(child.waitFor(5, TimeUnit.MINUTES), "the probe did not finish");
        String text = new String(output, StandardCharsets.UTF_8);
        System.out.println(text.lines().filter(l -> !l.startsWith("\tat ")).limit(40).reduce("", (a, b) -> a + b + "\n"));
        assertEquals(0, child.exitValue(), text);
        assertTrue(text.contains("PROBE OK"), text);
    }
}
