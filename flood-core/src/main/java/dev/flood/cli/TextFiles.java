package dev.flood.cli;

import dev.flood.api.FloodException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Opening a text input: UTF-8 (a malformed byte is an error, not a silent replacement), gzip by name, BOM skipped. */
final class TextFiles {

    private static final int BYTE_ORDER_MARK = '\uFEFF';

    private TextFiles() {
    }

    static BufferedReader open(Path file) throws IOException {
        InputStream bytes = Files.newInputStream(file);
        if (InputFormat.isGzip(file.getFileName().toString())) {
            try {
                bytes = new GZIPInputStream(bytes);
            } catch (IOException e) {
                bytes.close();
                throw new IOException(file + " is not gzip-compressed: " + e.getMessage(), e);
            }
        }
        BufferedReader reader = new BufferedReader(new InputStreamReader(bytes, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)));
        // a byte order mark (Excel writes one) is not part of the first header name or JSON line
        try {
            reader.mark(1);
            if (reader.read() != BYTE_ORDER_MARK) {
                reader.reset();
            }
        } catch (CharacterCodingException e) {
            reader.close();
            throw notUtf8(file, e);
        }
        return reader;
    }

    /** The next line of {@code reader}, one of {@code file}, or null at the end. */
    static String readLine(BufferedReader reader, Path file) throws IOException {
        try {
            return reader.readLine();
        } catch (CharacterCodingException e) {
            throw notUtf8(file, e);
        }
    }

    /** Decoding runs a buffer ahead of the lines handed out, so the message cannot say which line is at fault. */
    static FloodException notUtf8(Path file, CharacterCodingException e) {
        return new FloodException(file + " is not UTF-8 text", e);
    }
}
