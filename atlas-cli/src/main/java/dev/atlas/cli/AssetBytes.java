package dev.atlas.cli;

import dev.atlas.AtlasException;
import dev.atlas.NotFoundException;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetStore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * After an import, whether this database's asset directory holds the bytes of the file's live assets, and if not, why:
 * each cause has its own fix (copy the bytes, grant read access, replace a directory, copy them again), so each is counted
 * and said apart. Opening is the check, as a download opens; a size other than the row's is damage a download would
 * refuse (the checksum, which needs the whole blob read, is left to the download).
 */
final class AssetBytes {
    enum Problem { MISSING, UNREADABLE, DIRECTORY, DAMAGED, UNOPENABLE }

    /** The counts per problem; {@code unchecked} is why the check stopped (the database failed), or null. */
    record Outcome(Map<Problem, Long> counts, String unchecked, String unopenable) {
        /** The warnings to print on stderr, one line each, naming the asset directory {@code dir}. */
        List<String> warnings(Path dir) {
            List<String> out = new ArrayList<>();
            String where = Text.oneLine(dir.toString());
            counts.forEach((problem, n) -> {
                String of = String.format(Locale.ROOT, "atlas: warning: %,d of the file's assets ", n);
                boolean one = n == 1;
                out.add(switch (problem) {
                    case MISSING -> of + (one ? "has" : "have") + " no bytes in " + where + ": copy them there from the asset directory"
                            + " of the database it was exported from (the same blob keys), or their downloads fail";
                    case UNREADABLE -> of + "cannot be read in " + where + " (permission denied): let the user running atlas and the"
                            + " application read " + (one ? "its" : "their") + " bytes there, or their downloads fail";
                    case DIRECTORY -> of + (one ? "has a directory where its bytes should be" : "have directories where their bytes should be")
                            + " in " + where + ": replace " + (one ? "it" : "them") + " with the blob file of the same name from the asset"
                            + " directory of the database it was exported from, or their downloads fail";
                    case DAMAGED -> of + (one ? "has" : "have") + " damaged bytes in " + where + " (not the size " + (one ? "its row records"
                            : "their rows record") + "): copy them again from the asset directory of the database it was exported from,"
                            + " or their downloads fail";
                    case UNOPENABLE -> of + "cannot be opened in " + where + ": " + unopenable + "; their downloads fail";
                });
            });
            if (unchecked != null) {
                out.add("atlas: warning: the rows were imported, but their assets' bytes could not be checked: " + unchecked);
            }
            return out;
        }
    }

    private AssetBytes() {}

    /**
     * Checks the assets {@code ids} of {@code store}, whose blob files live under {@code dir}. An asset absent or deleted
     * needs no bytes. A failure of the database (closed, unreachable) stops the check and is said as such, never counted
     * as bytes missing.
     */
    static Outcome check(AssetStore store, Path dir, Collection<UUID> ids) {
        Map<Problem, Long> counts = new EnumMap<>(Problem.class);
        String unopenable = null;
        for (UUID id : ids) {
            Asset asset;
            try {
                asset = store.get(id).orElse(null);
            } catch (AtlasException e) {
                return new Outcome(counts, Text.oneLine(AtlasCli.message(e)), unopenable);
            }
            if (asset == null) {
                continue;
            }
            Problem problem;
            try (InputStream ignored = store.open(id)) {
                problem = sized(dir.resolve(asset.blobKey()), asset.sizeBytes()) ? null : Problem.DAMAGED;
            } catch (NotFoundException e) {
                problem = null; // deleted meanwhile: no bytes needed
            } catch (AtlasException | IOException e) {
                problem = cause(dir.resolve(asset.blobKey()), e);
                if (problem == Problem.UNOPENABLE && unopenable == null) {
                    unopenable = Text.oneLine(e.getMessage() == null ? e.getClass().getName() : e.getMessage());
                }
            }
            if (problem != null) {
                counts.merge(problem, 1L, Long::sum);
            }
        }
        return new Outcome(counts, null, unopenable);
    }

    /** Whether the blob file holds as many bytes as the row records (a file that cannot be sized was opened: not judged). */
    private static boolean sized(Path file, long size) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class).size() == size;
        } catch (IOException e) {
            return true;
        }
    }

    private static Problem cause(Path file, Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof AccessDeniedException) {
                return Problem.UNREADABLE;
            }
        }
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isDirectory()) {
                return Problem.DIRECTORY;
            }
            return Files.isReadable(file) ? Problem.UNOPENABLE : Problem.UNREADABLE;
        } catch (java.nio.file.NoSuchFileException gone) {
            return Problem.MISSING;
        } catch (AccessDeniedException denied) {
            return Problem.UNREADABLE; // the directory on the way may not be searched
        } catch (IOException other) {
            return Problem.UNOPENABLE;
        }
    }
}
