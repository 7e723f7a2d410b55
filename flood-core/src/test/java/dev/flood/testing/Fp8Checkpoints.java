package dev.flood.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.weights.DType;
import dev.flood.weights.Fp8Scaling;
import dev.flood.weights.HalfFloats;
import dev.flood.weights.SafetensorsCheckpoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes an FP8 copy of a bf16 checkpoint as Hugging Face tools write them, for tests: every decoder layer's
 * linear weight (projections and experts) quantized by {@link Fp8Reference}, everything else (embedding, norms,
 * routers, lm_head) as stored; config.json with its {@code quantization_config}, and the tokenizer files.
 * <ul>
 *   <li>{@link Fp8Scaling#BLOCK_128}: transformers' fp8 format, float32 {@code weight_scale_inv [rows/128, cols/128]};
 *   <li>{@link Fp8Scaling#PER_CHANNEL}: compressed-tensors, channel strategy, bf16 {@code weight_scale [rows, 1]};
 *   <li>{@link Fp8Scaling#PER_TENSOR}: compressed-tensors, tensor strategy, float32 {@code weight_scale [1]}.
 * </ul>
 */
public final class Fp8Checkpoints {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Fp8Checkpoints() {
    }

    public static Path write(Path bf16Model, Path target, Fp8Scaling scaling) {
        try {
            Files.createDirectories(target);
            for (String file : new String[] {"tokenizer.json", "tokenizer_config.json", "generation_config.json"}) {
                if (Files.exists(bf16Model.resolve(file))) {
                    Files.copy(bf16Model.resolve(file), target.resolve(file));
                }
            }
            ObjectNode config = (ObjectNode) JSON.readTree(bf16Model.resolve("config.json").toFile());
            config.set("quantization_config", quantizationConfig(scaling));
            Files.writeString(target.resolve("config.json"), JSON.writeValueAsString(config));
            Writer writer = new Writer();
            try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(bf16Model)) {
                for (String name : checkpoint.tensorNames()) {
                    long[] shape = checkpoint.shape(name);
                    float[] values = checkpoint.loadFloats(name, shape);
                    if (isQuantized(name, shape)) {
                        quantized(writer, name, values, (int) shape[0], (int) shape[1], scaling);
                    } else {
                        writer.add(name, DType.BF16, shape, bf16(values));
                    }
                }
            }
            writer.write(target.resolve("model.safetensors"));
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A decoder layer's linear weight: a projection ({@code *_proj.weight}, Qwen3-MoE's experts' included) or a
     * Mixtral expert's ({@code experts.N.w1/w2/w3.weight}); not a norm, not a router ({@code mlp.gate.weight}).
     */
    private static boolean isQuantized(String name, long[] shape) {
        return name.contains(".layers.") && shape.length == 2
                && (name.endsWith("_proj.weight") || name.matches(".*\\.experts\\.\\d+\\.w[123]\\.weight"));
    }

    private static void quantized(Writer writer, String name, float[] w, int rows, int cols, Fp8Scaling scaling) {
        switch (scaling) {
            case BLOCK_128 -> {
                Fp8Reference.Quantized q = Fp8Reference.blocks(w, rows, cols);
                writer.add(name, DType.F8_E4M3, new long[] {rows, cols}, q.codes());
                writer.add(name + "_scale_inv", DType.F32, new long[] {(rows + 127) / 128, (cols + 127) / 128},
                        f32(q.scales()));
            }
            case PER_CHANNEL -> {
                Fp8Reference.Quantized q = Fp8Reference.rows(w, rows, cols);
                // Scales rounded to bf16 as compressed-tensors stores them; codes re-derived against those.
                float[] scales = new float[rows];
                for (int r = 0; r < rows; r++) {
                    scales[r] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(q.scales()[r]));
                }
                byte[] codes = new byte[rows * cols];
                for (int i = 0; i < codes.length; i++) {
                    codes[i] = dev.flood.weights.Fp8E4m3.fromFloat(w[i] / scales[i / cols]);
                }
                writer.add(name, DType.F8_E4M3, new long[] {rows, cols}, codes);
                writer.add(name + "_scale", DType.BF16, new long[] {rows, 1}, bf16(scales));
            }
            case PER_TENSOR -> {
                Fp8Reference.Quantized q = Fp8Reference.tensor(w, rows, cols);
                writer.add(name, DType.F8_E4M3, new long[] {rows, cols}, q.codes());
                writer.add(name + "_scale", DType.F32, new long[] {1}, f32(q.scales()));
            }
        }
    }

    private static ObjectNode quantizationConfig(Fp8Scaling scaling) {
        ObjectNode q = JSON.createObjectNode();
        if (scaling == Fp8Scaling.BLOCK_128) {
            q.put("quant_method", "fp8");
            q.put("activation_scheme", "dynamic");
            q.put("fmt", "e4m3");
            q.putArray("weight_block_size").add(128).add(128);
            q.putArray("modules_to_not_convert").add("lm_head");
            return q;
        }
        q.put("quant_method", "compressed-tensors");
        q.put("format", "float-quantized");
        q.put("quantization_status", "compressed");
        q.putArray("ignore").add("lm_head");
        ObjectNode group = q.putObject("config_groups").putObject("group_0");
        group.putArray("targets").add("Linear");
        ObjectNode weights = group.putObject("weights");
        weights.put("num_bits", 8).put("type", "float").put("symmetric", true).put("dynamic", false)
                .put("strategy", scaling == Fp8Scaling.PER_CHANNEL ? "channel" : "tensor");
        ObjectNode inputs = group.putObject("input_activations");
        inputs.put("num_bits", 8).put("type", "float").put("symmetric", true).put("dynamic", true)
                .put("strategy", "token");
        return q;
    }

    private static byte[] bf16(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            bytes.putShort(HalfFloats.floatToBf16(v));
        }
        return bytes.array();
    }

    private static byte[] f32(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return bytes.array();
    }

    /** A minimal safetensors writer: tensors back to back, the header padded to 8 bytes. */
    private static final class Writer {
        private record Tensor(DType dtype, long[] shape, byte[] data) {
        }

        private final Map<String, Tensor> tensors = new LinkedHashMap<>();

        void add(String name, DType dtype, long[] shape, byte[] data) {
            tensors.put(name, new Tensor(dtype, shape, data));
        }

        void write(Path file) throws IOException {
            ObjectNode header = JSON.createObjectNode();
            header.putObject("__metadata__").put("format", "pt");
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                ObjectNode json = header.putObject(e.getKey());
                json.put("dtype", e.getValue().dtype().safetensorsName());
                ArrayNode shape = json.putArray("shape");
                for (long dim : e.getValue().shape()) {
                    shape.add(dim);
                }
                json.putArray("data_offsets").add(data.size()).add(data.size() + e.getValue().data().length);
                data.write(e.getValue().data());
            }
            StringBuilder text = new StringBuilder(JSON.writeValueAsString(header));
            while (text.toString().getBytes(StandardCharsets.UTF_8).length % 8 != 0) {
                text.append(' ');
            }
            byte[] headerBytes = text.toString().getBytes(StandardCharsets.UTF_8);
            ByteBuffer out = ByteBuffer.allocate(8 + headerBytes.length + data.size()).order(ByteOrder.LITTLE_ENDIAN);
            out.putLong(headerBytes.length).put(headerBytes).put(data.toByteArray());
            Files.write(file, out.array());
        }
    }
}
