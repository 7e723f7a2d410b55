package dev.flood.estimate;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.flood.api.FloodException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The calibrations saved on this machine: one JSON file (a list of {@link Calibration}s), by default
 * {@code ~/.flood/calibration.json} (entry points resolve the home folder; this class is given the path). A new
 * calibration replaces the one filed under the same device and model shape. Writes go to a temporary file moved
 * into place, so a reader never sees half a file.
 */
public final class CalibrationStore {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path file;

    public CalibrationStore(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** Every calibration in the file; none when it does not exist yet. */
    public List<Calibration> all() {
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            return JSON.readValue(file.toFile(), new TypeReference<List<Calibration>>() { });
        } catch (IOException e) {
            throw new FloodException("cannot read the calibrations in " + file + ": " + e.getMessage()
                    + " (delete it and run flood bench again)", e);
        }
    }

    /** The calibration filed under {@code device} and {@code modelShape}, if any. */
    public Optional<Calibration> find(String device, String modelShape) {
        return all().stream().filter(c -> c.device().equals(device) && c.modelShape().equals(modelShape)).findFirst();
    }

    /** Files {@code calibration}, replacing any under the same device and model shape. */
    public void save(Calibration calibration) {
        List<Calibration> kept = new ArrayList<>();
        for (Calibration c : all()) {
            if (!c.device().equals(calibration.device()) || !c.modelShape().equals(calibration.modelShape())) {
                kept.add(c);
            }
        }
        kept.add(calibration);
        try {
            Path folder = file.toAbsolutePath().getParent();
            Files.createDirectories(folder);
            Path temporary = Files.createTempFile(folder, file.getFileName().toString(), ".tmp");
            try {
                JSON.writeValue(temporary.toFile(), kept);
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temporary);
            }
        } catch (IOException e) {
            throw new FloodException("cannot save the calibration to " + file + ": " + e.getMessage(), e);
        }
    }
}
