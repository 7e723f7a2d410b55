package dev.flood.cli;

import dev.flood.api.FloodException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The data files behind {@code --input}: the file itself, or the files of a folder in file-name order, all of one
 * format. A folder is read as Spark and Hadoop write one: names starting with {@code _} or {@code .} are not data
 * ({@code _SUCCESS}, {@code _committed_*}, {@code .part-00000.parquet.crc}) and are skipped. Subfolders (a
 * partitioned layout such as {@code year=2024/}) are refused rather than silently left out.
 *
 * @param given  the path given to {@code --input}
 * @param files  the data files in reading order, at least one
 * @param format their format
 */
record InputFiles(Path given, List<Path> files, InputFormat format) {

    /** How many names a message lists before it says "and N more". */
    private static final int LISTED_NAMES = 8;

    InputFiles {
        Objects.requireNonNull(given, "given");
        Objects.requireNonNull(format, "format");
        files = List.copyOf(files);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no data files in " + given);
        }
    }

    /**
     * Finds the data files of {@code path} and their format.
     *
     * @param format the format from {@code --input-format}, or null to tell it from file names
     * @throws NoSuchFileException when nothing is at {@code path}
     * @throws UsageException      when the format cannot be told from the names and no {@code --input-format} says it
     * @throws FloodException      when a folder holds no data files, mixes formats, or has subfolders; the message
     *                             says what it holds
     */
    static InputFiles resolve(Path path, InputFormat format) throws IOException, UsageException {
        if (Files.isRegularFile(path)) {
            return new InputFiles(path, List.of(path), format != null ? format : formatOf(path));
        }
        if (!Files.isDirectory(path)) {
            throw new NoSuchFileException(path.toString(), null, "input not found");
        }
        List<Path> entries;
        try (Stream<Path> list = Files.list(path)) {
            entries = list.sorted().toList();
        }
        List<Path> data = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        List<String> folders = new ArrayList<>();
        for (Path entry : entries) {
            String name = entry.getFileName().toString();
            if (name.startsWith("_") || name.startsWith(".")) {
                skipped.add(Files.isDirectory(entry) ? name + "/" : name);
            } else if (Files.isDirectory(entry)) {
                folders.add(name + "/");
            } else {
                data.add(entry);
            }
        }
        if (!folders.isEmpty()) {
            throw new FloodException(path + " has subfolders (" + listed(folders) + "): --input reads the files of one"
                    + " folder, not a partitioned layout; give each subfolder as its own input");
        }
        if (data.isEmpty()) {
            throw new FloodException(path + (skipped.isEmpty() ? " is an empty folder"
                    : " holds no data files, only " + listed(skipped) + " (names starting with _ or . are not data)"));
        }
        if (format == null) {
            format = commonFormat(path, data);
        }
        return new InputFiles(path, data, format);
    }

    /** Where a row of {@code file} is, for messages: {@code line 3}, or {@code part-00001.jsonl line 3} in a folder. */
    String location(Path file, String position) {
        return file.equals(given) ? position : file.getFileName() + " " + position;
    }

    private static InputFormat formatOf(Path file) throws UsageException {
        InputFormat format = InputFormat.ofFileName(file.getFileName().toString());
        if (format == null) {
            throw new UsageException("cannot tell the format of " + file + " from its name (known: "
                    + InputFormat.extensions() + ", and .gz of the text formats); give --input-format "
                    + InputFormat.names());
        }
        return format;
    }

    private static InputFormat commonFormat(Path folder, List<Path> data) throws UsageException {
        Set<InputFormat> formats = new LinkedHashSet<>();
        List<String> unknown = new ArrayList<>();
        for (Path file : data) {
            InputFormat format = InputFormat.ofFileName(file.getFileName().toString());
            if (format == null) {
                unknown.add(file.getFileName().toString());
            } else {
                formats.add(format);
            }
        }
        if (!unknown.isEmpty()) {
            throw new UsageException(folder + " holds files of no known format (" + listed(unknown) + "; known: "
                    + InputFormat.extensions() + "); give --input-format " + InputFormat.names()
                    + " to read every file as one format");
        }
        if (formats.size() > 1) {
            throw new FloodException(folder + " mixes formats (" + String.join(", ", formats.stream()
                    .map(InputFormat::optionName).toList()) + "); an input folder holds files of one format");
        }
        return formats.iterator().next();
    }

    private static String listed(List<String> names) {
        if (names.size() <= LISTED_NAMES) {
            return String.join(", ", names);
        }
        return String.join(", ", names.subList(0, LISTED_NAMES)) + " and " + (names.size() - LISTED_NAMES) + " more";
    }
}
