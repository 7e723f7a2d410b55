package dev.flood.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * A command's inputs in order: the texts given with a repeatable option ({@code --prompt}, {@code --text}),
 * then the items of an {@code --input} file (Parquet when its name ends in {@code .parquet}, else JSON Lines).
 */
final class InputSource implements InputReader {

    private final List<String> texts;
    private final String textOption;
    private final InputReader file;
    private int textIndex;

    private InputSource(List<String> texts, String textOption, InputReader file) {
        this.texts = texts;
        this.textOption = textOption;
        this.file = file;
    }

    /**
     * @param texts      the values of {@code textOption}, e.g. every {@code --prompt}
     * @param file       an input file, or null
     * @param field      the file's field or column holding the text
     */
    static InputSource open(List<String> texts, String textOption, Path file, String field) throws IOException {
        InputReader reader = null;
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new NoSuchFileException(file.toString(), null, "input file not found");
            }
            reader = file.getFileName().toString().endsWith(".parquet")
                    ? ParquetInput.open(file, field)
                    : JsonLinesInput.open(file, field);
        }
        return new InputSource(List.copyOf(texts), textOption, reader);
    }

    @Override
    public InputItem next() throws IOException {
        if (textIndex < texts.size()) {
            textIndex++;
            return InputItem.of("--" + textOption + " " + textIndex, texts.get(textIndex - 1), null);
        }
        return file == null ? null : file.next();
    }

    @Override
    public long count() {
        return texts.size() + (file == null ? 0 : file.count());
    }

    @Override
    public void close() throws IOException {
        if (file != null) {
            file.close();
        }
    }
}
