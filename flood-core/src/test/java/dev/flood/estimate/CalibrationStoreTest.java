package dev.flood.estimate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.FloodException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Calibrations filed by device and model shape, replaced by newer ones, read back as written. */
class CalibrationStoreTest {

    @TempDir
    Path temp;

    private static Calibration calibration(String device, String shape, double secondsPerStep) {
        return new Calibration(device, shape, new ThroughputModel(secondsPerStep, 0.5, 0.25), 4096, 1024, 256, 3.5,
                "dummy", "2025-01-01T00:00:00Z");
    }

    @Test
    void aNewCalibrationReplacesTheOneOfItsDeviceAndShape() {
        CalibrationStore store = new CalibrationStore(temp.resolve("home/.flood/calibration.json"));
        assertEquals(List.of(), store.all());
        assertEquals(Optional.empty(), store.find("cpu: 2 threads, 1 stage", "shape"));
        store.save(calibration("cpu: 2 threads, 1 stage", "shape", 0.01));
        store.save(calibration("cuda: 1 x NVIDIA H200 on devices [0], 1 stage", "shape", 0.02));
        store.save(calibration("cpu: 2 threads, 1 stage", "shape", 0.03));
        assertEquals(2, store.all().size());
        assertEquals(calibration("cpu: 2 threads, 1 stage", "shape", 0.03),
                store.find("cpu: 2 threads, 1 stage", "shape").orElseThrow());
        assertEquals(0.02, new CalibrationStore(store.file())
                .find("cuda: 1 x NVIDIA H200 on devices [0], 1 stage", "shape").orElseThrow().model().secondsPerStep());
    }

    @Test
    void aDamagedFileIsNamedWithWhatToDo() throws IOException {
        Path file = temp.resolve("calibration.json");
        Files.writeString(file, "{not json");
        FloodException e = assertThrows(FloodException.class, () -> new CalibrationStore(file).all());
        assertTrue(e.getMessage().startsWith("cannot read the calibrations in " + file), e.getMessage());
        assertTrue(e.getMessage().endsWith("(delete it and run flood bench again)"), e.getMessage());
    }
}
