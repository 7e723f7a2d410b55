package dev.flood.weights;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.api.FloodException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face model folder's safetensors weights, in one file or sharded. Tensors are memory-mapped when
 * loaded, never read whole into the heap; buffers returned by {@link #loadRaw} must not be used after
 * {@link #close()}. Expected shapes are compared exactly: an empty one means a scalar, not "any shape"
 * (use {@link #shape} to ask).
 */
public final class SafetensorsCheckpoint implements WeightSource {

    static final String SINGLE_FILE = "model.safetensors";
    static final String INDEX_FILE = "model.safetensors.index.json";

    /** Bytes mapped at a time by {@link #loadFloats}: a multiple of every dtype's size, well under 2 GiB. */
    private static final int WINDOW_BYTES = 1 << 30;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path modelDir;
    /** Every open file, each once. */
    private final List<SafetensorsFile> files;
    /** Tensor name to the file holding it, in index (or header) order. */
    private final Map<String, SafetensorsFile> fileOfTensor;

    private SafetensorsCheckpoint(Path modelDir, List<SafetensorsFile> files,
                                  Map<String, SafetensorsFile> fileOfTensor) {
        this.modelDir = modelDir;
        this.files = files;
        this.fileOfTensor = fileOfTensor;
    }

    /**
     * Opens {@code modelDir}'s weights: the shards named by {@code model.safetensors.index.json} if present, else
     * {@code model.safetensors}, else every {@code *.safetensors} in the folder.
     */
    public static SafetensorsCheckpoint open(Path modelDir) {
        if (!Files.isDirectory(modelDir)) {
            throw new FloodException("model folder " + modelDir + " does not exist or is not a folder");
        }
        Map<Path, SafetensorsFile> opened = new LinkedHashMap<>();
        try {
            Map<String, SafetensorsFile> fileOfTensor;
            Path index = modelDir.resolve(INDEX_FILE);
            if (Files.isRegularFile(index)) {
                fileOfTensor = openIndexed(index, opened);
            } else {
                List<Path> paths = Files.isRegularFile(modelDir.resolve(SINGLE_FILE))
                        ? List.of(modelDir.resolve(SINGLE_FILE))
                        : listSafetensors(modelDir);
                if (paths.isEmpty()) {
                    throw new FloodException("no " + SINGLE_FILE + " or " + INDEX_FILE + " in " + modelDir);
                }
                fileOfTensor = openAll(paths, opened);
            }
            return new SafetensorsCheckpoint(modelDir, List.copyOf(opened.values()), fileOfTensor);
        } catch (RuntimeException e) {
            for (SafetensorsFile file : opened.values()) {
                try {
                    file.close();
                } catch (RuntimeException closeFailure) {
                    e.addSuppressed(closeFailure);
                }
            }
            throw e;
        }
    }

    /** Tensor names, in index (or header) order. */
    public Set<String> tensorNames() {
        return Collections.unmodifiableSet(fileOfTensor.keySet());
    }

    /** The stored shape of a tensor this checkpoint holds; FloodException naming the checkpoint otherwise. */
    public long[] shape(String name) {
        return fileOf(name).entry(name).shape();
    }

    @Override
    public boolean contains(String name) {
        return fileOfTensor.containsKey(name);
    }

    @Override
    public float[] loadFloats(String name, long... expectedShape) {
        SafetensorsFile file = fileOf(name);
        return readFloats(file, checkedEntry(file, name, expectedShape), WINDOW_BYTES);
    }

    /** The stored bytes, memory-mapped: valid until {@link #close()}. Tensors of 2 GiB or more fail. */
    @Override
    public TensorData loadRaw(String name, long... expectedShape) {
        SafetensorsFile file = fileOf(name);
        SafetensorsFile.Entry entry = checkedEntry(file, name, expectedShape);
        return new TensorData(name, entry.dtype(), entry.shape(), file.map(entry));
    }

    /** The model folder. */
    @Override
    public String description() {
        return modelDir.toString();
    }

    /** Closes every file; buffers from {@link #loadRaw} must not be used afterwards. */
    @Override
    public void close() {
        RuntimeException failure = null;
        for (SafetensorsFile file : files) {
            try {
                file.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private SafetensorsFile fileOf(String name) {
        SafetensorsFile file = fileOfTensor.get(name);
        if (file == null) {
            throw new FloodException("tensor " + name + " not found in checkpoint " + modelDir);
        }
        return file;
    }

    private static SafetensorsFile.Entry checkedEntry(SafetensorsFile file, String name, long[] expectedShape) {
        SafetensorsFile.Entry entry = file.entry(name);
        Shapes.check(name, file.path().toString(), entry.shape(), expectedShape);
        return entry;
    }

    /**
     * Maps and converts the tensor {@code windowBytes} at a time, so that tensors of 2 GiB or more (an F32
     * lm_head of Llama 3 8B) load too; {@code windowBytes} must be a multiple of 4, the largest dtype size.
     */
    static float[] readFloats(SafetensorsFile file, SafetensorsFile.Entry entry, int windowBytes) {
        float[] values = new float[Shapes.arrayLength(entry.name(), file.path().toString(), entry.shape())];
        int bytesPerElement = entry.dtype().bytes();
        int elementsPerWindow = windowBytes / bytesPerElement;
        for (long first = 0; first < values.length; first += elementsPerWindow) {
            int count = (int) Math.min(elementsPerWindow, values.length - first);
            ByteBuffer window = file.map(entry, first * bytesPerElement, count * bytesPerElement);
            FloatDecoder.decode(window, entry.dtype(), values, (int) first);
        }
        return values;
    }

    /** {@code {"metadata": {...}, "weight_map": {tensor name: shard file name}}}; shards are opened once each. */
    private static Map<String, SafetensorsFile> openIndexed(Path index, Map<Path, SafetensorsFile> opened) {
        JsonNode weightMap = readIndex(index).get("weight_map");
        if (weightMap == null || !weightMap.isObject() || weightMap.isEmpty()) {
            throw new FloodException("bad index " + index + ": 'weight_map' must be a non-empty object of"
                    + " tensor name -> shard file");
        }
        Map<String, SafetensorsFile> fileOfTensor = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> mapping : weightMap.properties()) {
            String name = mapping.getKey();
            if (!mapping.getValue().isTextual()) {
                throw new FloodException("bad index " + index + ": shard of tensor " + name
                        + " must be a file name, got " + mapping.getValue());
            }
            Path shard = index.resolveSibling(mapping.getValue().textValue());
            if (!opened.containsKey(shard) && !Files.isRegularFile(shard)) {
                throw new FloodException("index " + index + " puts tensor " + name + " in " + shard
                        + ", which does not exist");
            }
            SafetensorsFile file = opened.computeIfAbsent(shard, SafetensorsFile::open);
            if (!file.contains(name)) {
                throw new FloodException("index " + index + " puts tensor " + name + " in " + shard
                        + ", which has no such tensor");
            }
            fileOfTensor.put(name, file);
        }
        return fileOfTensor;
    }

    private static JsonNode readIndex(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(index));
        } catch (JsonProcessingException e) {
            throw new FloodException("malformed JSON in " + index + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new FloodException("cannot read " + index + ": " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new FloodException("malformed JSON in " + index + ": expected an object at the top level");
        }
        return root;
    }

    /** Without an index every tensor name must occur in exactly one of the files. */
    private static Map<String, SafetensorsFile> openAll(List<Path> paths, Map<Path, SafetensorsFile> opened) {
        Map<String, SafetensorsFile> fileOfTensor = new LinkedHashMap<>();
        for (Path path : paths) {
            SafetensorsFile file = SafetensorsFile.open(path);
            opened.put(path, file);
            for (String name : file.tensorNames()) {
                SafetensorsFile previous = fileOfTensor.putIfAbsent(name, file);
                if (previous != null) {
                    throw new FloodException("tensor " + name + " appears in both " + previous.path() + " and "
                            + path + "; add a " + INDEX_FILE + " to say which to use");
                }
            }
        }
        return fileOfTensor;
    }

    /** {@code *.safetensors} in the folder, sorted by name so that the order is the same on every machine. */
    private static List<Path> listSafetensors(Path modelDir) {
        List<Path> paths = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(modelDir, "*.safetensors")) {
            stream.forEach(path -> {
                if (Files.isRegularFile(path)) {
                    paths.add(path);
                }
            });
        } catch (IOException e) {
            throw new FloodException("cannot list " + modelDir + ": " + e, e);
        }
        paths.sort(null);
        return paths;
    }
}
