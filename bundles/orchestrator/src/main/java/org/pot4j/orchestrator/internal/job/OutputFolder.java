package org.pot4j.orchestrator.internal.job;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pot4j.api.InvalidInputException;

/**
 * A job's {@code OUTDIR/<model_name>} folder, made ready before the job loads anything: a bad output directory is
 * bad input found in a second, not an output error after the whole job. {@code firstCreated} is the outermost folder
 * this check created (null: all existed), so a job that ends without results can take them away again.
 */
public record OutputFolder(Path folder, Path firstCreated) {

    /**
     * Creates {@code outputDirectory/modelName} if missing and proves it writable, or rejects the job naming
     * {@code field} (the option or request key the user set it with), the path and the file system's reason.
     */
    public static OutputFolder prepare(String field, Path outputDirectory, String modelName) {
        Path folder = outputDirectory.resolve(modelName).toAbsolutePath().normalize();
        Path firstCreated = null;
        Path existing = folder;
        while (existing != null && !Files.exists(existing)) {
            firstCreated = existing;
            existing = existing.getParent();
        }
        OutputFolder prepared = new OutputFolder(folder, firstCreated);
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            prepared.removeIfEmpty();
            // the OS blames the folder it could not make; the user needs the file that is in the way
            String why = existing != null && Files.isRegularFile(existing) ? existing + ": Not a directory (a file)"
                    : e instanceof FileSystemException failed && folder.toString().equals(failed.getFile()) ? osReason(e)
                    : reason(e);
            throw new InvalidInputException(field, outputDirectory, "cannot create the folder " + folder + ": " + why, e);
        }
        try {
            // a real write, not Files.isWritable: permissions alone miss read-only mounts and say yes to root
            Files.delete(Files.createTempFile(folder, ".pot4j-write-check", ".tmp"));
        } catch (IOException e) {
            prepared.removeIfEmpty();
            throw new InvalidInputException(field, outputDirectory, "the folder " + folder + " is not writable ("
                    + osReason(e) + ")", e);
        }
        return prepared;
    }

    /** The file system's own words (Not a directory, Permission denied, Read-only file system), with the path. */
    static String reason(IOException e) {
        return e instanceof FileSystemException failed && failed.getFile() != null
                ? failed.getFile() + ": " + osReason(e) : osReason(e);
    }

    private static String osReason(IOException e) {
        if (e instanceof FileAlreadyExistsException) {
            return "exists and is not a directory";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied"; // Java keeps only the path of EACCES
        }
        if (e instanceof FileSystemException failed) {
            return failed.getReason() != null ? failed.getReason() : e.getClass().getSimpleName();
        }
        return String.valueOf(e.getMessage());
    }

    /** Deletes the folders {@link #prepare} created, innermost first, as long as nothing was written into them. */
    public void removeIfEmpty() {
        if (firstCreated == null) {
            return;
        }
        for (Path created = folder; created != null && created.startsWith(firstCreated); created = created.getParent()) {
            try {
                Files.deleteIfExists(created);
            } catch (DirectoryNotEmptyException e) {
                return; // results (or another job's files) are there: keep them
            } catch (IOException e) {
                return; // best effort: an empty folder left behind is untidy, not wrong
            }
        }
    }
}
